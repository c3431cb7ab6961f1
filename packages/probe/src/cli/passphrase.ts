import { readFileSync } from 'node:fs';
import { ProbeError } from '../errors.ts';
import type { PassphraseFrom } from '../reproduce.ts';

export interface PassphraseArgs {
  readonly passphrase?: string | undefined;
  readonly 'passphrase-env'?: string | undefined;
  readonly 'passphrase-file'?: string | undefined;
}

/**
 * The passphrase from --passphrase, --passphrase-env VAR or --passphrase-file FILE (the last two keep
 * it out of `ps` and shell history). Errors name the option and the variable or file, never the value.
 */
export function passphraseOf(args: PassphraseArgs, env: NodeJS.ProcessEnv): string | undefined {
  const given = (['passphrase', 'passphrase-env', 'passphrase-file'] as const).filter(
    (k) => args[k] !== undefined,
  );
  if (given.length > 1) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `give one of ${given.map((k) => `--${k}`).join(', ')}, not several`,
    );
  }
  const variable = args['passphrase-env'];
  if (variable !== undefined) {
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new ProbeError(
        'CONFIG_INVALID',
        `--passphrase-env: the environment variable ${variable} is not set`,
      );
    }
    return value;
  }
  const file = args['passphrase-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `--passphrase-file: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause },
      );
    }
    // As with openssl's file: source, the first line is the passphrase.
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line === '') throw new ProbeError('CONFIG_INVALID', `--passphrase-file: ${file} is empty`);
    return line;
  }
  return args.passphrase;
}

/** Where the passphrase came from (never its value), for the commands that reproduce a run. */
export function passphraseSourceOf(args: PassphraseArgs): PassphraseFrom | undefined {
  if (args['passphrase-env'] !== undefined) return { env: args['passphrase-env'] };
  if (args['passphrase-file'] !== undefined) return { file: args['passphrase-file'] };
  return args.passphrase === undefined ? undefined : 'argument';
}
