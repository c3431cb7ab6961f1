import { inspect } from 'node:util';
import { expect } from 'vitest';
import { isMtlsLinkError, type MtlsLinkError } from '../src/index.ts';

/** Base64 runs of a PEM body, long enough that a match cannot be chance. */
function base64Runs(pem: string): string[] {
  const body = pem
    .split('\n')
    .filter((line) => !line.startsWith('-----') && !line.includes(':'))
    .join('');
  const runs: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 12) runs.push(body.slice(i, i + 24));
  return runs;
}

/** Everything a log line could show of an error: message, JSON, the cause, util.inspect with details. */
export function errorSurface(error: unknown): string {
  const e = error as { message?: unknown; cause?: unknown };
  return [
    String(e?.message),
    JSON.stringify(error) ?? '',
    String(e?.cause),
    inspect(error, { depth: 6 }),
  ].join('\n');
}

/**
 * Asserts no base64 run of any key PEM and no passphrase appears anywhere in the error's surface.
 * `publicPems` (certificates) may be printed: runs they share with a key (an EC key and its
 * certificate both encode the curve's AlgorithmIdentifier) are not evidence of a leak.
 */
export function expectNoSecrets(
  error: unknown,
  secrets: { keyPems?: string[]; passphrases?: string[]; publicPems?: string[] },
): void {
  const surface = errorSurface(error);
  const publicBase64 = (secrets.publicPems ?? [])
    .map((pem) => pem.replace(/-----[^-]+-----|\s/g, ''))
    .join('|');
  for (const pem of secrets.keyPems ?? []) {
    for (const run of base64Runs(pem)) {
      if (publicBase64.includes(run)) continue;
      if (surface.includes(run)) throw new Error(`error surface contains key material (${run.slice(0, 4)}…)`);
    }
  }
  for (const passphrase of secrets.passphrases ?? []) {
    if (passphrase.length >= 6 && surface.includes(passphrase))
      throw new Error('error surface contains the passphrase');
  }
}

/** Runs `read`, expects a typed error with `code`, checks the leak guard, returns the error. */
export function expectIdentityError(
  read: () => unknown,
  code: string,
  secrets: { keyPems?: string[]; passphrases?: string[] },
): MtlsLinkError {
  let thrown: unknown;
  try {
    read();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeDefined();
  if (!isMtlsLinkError(thrown)) throw thrown;
  expect(thrown.code).toBe(code);
  expectNoSecrets(thrown, secrets);
  return thrown;
}

export async function expectRejection(
  promise: Promise<unknown>,
  code: string,
  secrets: { keyPems?: string[]; passphrases?: string[] } = {},
): Promise<MtlsLinkError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown, `expected ${code}`).toBeDefined();
  if (!isMtlsLinkError(thrown)) throw thrown;
  expect(thrown.code).toBe(code);
  expectNoSecrets(thrown, secrets);
  return thrown;
}
