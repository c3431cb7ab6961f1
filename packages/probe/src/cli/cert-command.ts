import { loadCrlReader } from '@mtls-link/sdk/diagnostics';
import type { Options } from 'yargs';
import { describeCertificates, describeIdentity, renderIdentityText } from '../describe-identity.ts';
import { isProbeError, ProbeError } from '../errors.ts';
import { loadIdentity } from '../inputs/identity.ts';
import { pemOrBase64, readOptionFile } from '../inputs/read-file.ts';
import { type CredentialSource, PROBE_DEFAULTS } from '../options.ts';
import type { CliIo } from './io.ts';
import { passphraseOf } from './passphrase.ts';
import { secretSource } from './secret-source.ts';

const source = 'Identity (a file or --secret-id):';

/** `mtls-probe cert` options, declared as data; each description states its default. */
export const CERT_OPTIONS = {
  key: {
    type: 'string',
    group: source,
    describe: 'private key PEM file when <file> holds only certificates; default: the key inside <file>',
  },
  passphrase: {
    type: 'string',
    group: source,
    describe: 'passphrase of an encrypted key or PKCS#12 (never printed); default: none',
  },
  'passphrase-env': {
    type: 'string',
    group: source,
    describe:
      'read the passphrase from this environment variable (a --passphrase shows in ps); default: none',
  },
  'passphrase-file': {
    type: 'string',
    group: source,
    describe: 'read the passphrase from the first line of FILE; default: none',
  },
  'secret-id': {
    type: 'string',
    group: source,
    describe: 'read the identity from this Secrets Manager secret instead of a file; default: none',
  },
  'version-stage': { type: 'string', group: source, describe: 'secret version stage; default: AWSCURRENT' },
  'secrets-endpoint': {
    type: 'string',
    group: source,
    describe:
      'Secrets Manager endpoint URL; default: AWS_ENDPOINT_URL_SECRETS_MANAGER or the regional endpoint',
  },
  region: { type: 'string', group: source, describe: 'AWS region; default: AWS_REGION, else us-east-1' },
  'trust-store': {
    type: 'string',
    describe: 'CA bundle PEM of the ALB trust store, to judge the chain; default: none',
  },
  crl: {
    type: 'string',
    array: true,
    describe:
      "CRL file to judge revocation with (repeatable; without --trust-store the certificate's own chain names the CRL issuers); default: none",
  },
  'warn-days': {
    type: 'number',
    default: PROBE_DEFAULTS.warnDays,
    describe: 'warn when fewer days than this are left',
  },
  format: { choices: ['text', 'json'] as const, default: 'text', describe: 'output format' },
} as const satisfies Record<string, Options>;

export interface CertArgs {
  readonly file?: string | undefined;
  readonly key?: string | undefined;
  readonly passphrase?: string | undefined;
  readonly 'passphrase-env'?: string | undefined;
  readonly 'passphrase-file'?: string | undefined;
  readonly 'secret-id'?: string | undefined;
  readonly 'version-stage'?: string | undefined;
  readonly 'secrets-endpoint'?: string | undefined;
  readonly region?: string | undefined;
  readonly 'trust-store'?: string | undefined;
  readonly crl?: readonly string[] | undefined;
  readonly 'warn-days'?: number | undefined;
  readonly format?: 'text' | 'json' | undefined;
}

function credentialSource(args: CertArgs, env: NodeJS.ProcessEnv): CredentialSource {
  const secret = passphraseOf(args, env);
  const passphrase = secret === undefined ? {} : { passphrase: secret };
  if (args['secret-id'] !== undefined) {
    if (args.file !== undefined)
      throw new ProbeError('CONFIG_INVALID', 'give either <file> or --secret-id, not both');
    return secretSource(args['secret-id'], { ...args, passphrase: secret });
  }
  if (args.file === undefined) throw new ProbeError('CONFIG_INVALID', 'give <file> or --secret-id');
  if (/\.(p12|pfx)$/i.test(args.file)) return { kind: 'pfx', pfxFile: args.file, ...passphrase };
  return { kind: 'files', certFile: args.file, keyFile: args.key ?? args.file, ...passphrase };
}

/** `mtls-probe cert`: 0 when the ALB would accept the certificate, 1 when a finding says it would not. */
async function certificatesOnly(args: CertArgs, error: unknown) {
  // `mtls-probe cert client.pem` with a certificate file and no key: show what can be shown.
  if (!isProbeError(error) || error.code !== 'IDENTITY_FIELD_MISSING' || args.file === undefined)
    return undefined;
  if (args.key !== undefined || args['secret-id'] !== undefined) return undefined;
  const text = (await readOptionFile('<file>', args.file)).toString('utf8');
  return describeCertificates(text, `file:${args.file}`);
}

export async function certCommand(args: CertArgs, io: CliIo): Promise<number> {
  const source = credentialSource(args, io.env);
  let identity: Awaited<ReturnType<typeof loadIdentity>>;
  try {
    // `cert` takes the file as <file>, and a PKCS#12 file by its .p12/.pfx name.
    identity = await loadIdentity(source, { cert: '<file>', key: '--key', pfx: '<file> named .p12 or .pfx' });
  } catch (error) {
    const described = await certificatesOnly(args, error);
    if (described === undefined) throw error;
    io.stdout.write(
      args.format === 'json' ? `${JSON.stringify(described, null, 2)}\n` : renderIdentityText(described),
    );
    return 0;
  }
  const trustStorePem =
    args['trust-store'] === undefined
      ? undefined
      : (await readOptionFile('--trust-store', args['trust-store'])).toString('utf8');
  const crlPems = await Promise.all(
    (args.crl ?? []).map(async (f) => pemOrBase64(await readOptionFile('--crl', f))),
  );
  if (crlPems.length > 0) await loadCrlReader();
  const description = describeIdentity(identity, {
    ...(trustStorePem === undefined ? {} : { trustStorePem }),
    crlPems,
    ...(args['warn-days'] === undefined ? {} : { warnDays: args['warn-days'] }),
  });
  io.stdout.write(
    args.format === 'json' ? `${JSON.stringify(description, null, 2)}\n` : renderIdentityText(description),
  );
  return description.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
