import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type ClientIdentity,
  fromSecretsManager,
  isMtlsLinkError,
  loadAsn1Readers,
  loadAsn1ReadersFor,
  readIdentity,
  readIdentityParts,
} from '@mtls-link/sdk';
import { awsRequestHandler } from '../aws-request-handler.ts';
import type { ProbeCode } from '../codes.ts';
import { ProbeError, toProbeError } from '../errors.ts';
import { type CredentialSource, PROBE_DEFAULTS, regionOf } from '../options.ts';
import { readOptionFile } from './read-file.ts';

// The probe reports a certificate that parses but breaks ALB rules (expired, wrong EKU, key mismatch)
// as findings, so it reads identities without the SDK's validation; inspectIdentity judges them.
const lenient = { validate: false } as const;

/** How the command line named the identity's files, for messages and hints. */
export interface IdentityOptionNames {
  readonly cert: string;
  readonly key: string;
  readonly pfx: string;
}

const checkOptionNames: IdentityOptionNames = { cert: '--cert', key: '--key', pfx: '--pfx' };

/**
 * The SDK's identity hints speak of secrets and their fields; for files, name the options instead.
 * `given` is how the files were given, e.g. `--cert/--key` or `--pfx`.
 */
function fileError(error: unknown, given: string, names: IdentityOptionNames): ProbeError {
  const e = toProbeError(error, `${given}: cannot read the identity`);
  const hints: Partial<Record<ProbeCode, string>> = {
    IDENTITY_FIELD_MISSING: `the files lack a certificate or its private key: check that ${given} name the right files`,
    IDENTITY_FORMAT_UNKNOWN: `${given}: give PEM files (certificate with its chain, private key) or a PKCS#12 file with ${names.pfx}`,
    IDENTITY_PEM_INVALID: `${given}: the file holds no valid PEM (truncated, or binary? a PKCS#12 file goes to ${names.pfx})`,
    IDENTITY_PASSPHRASE_WRONG: 'the passphrase does not decrypt the key (or PKCS#12): check --passphrase',
  };
  const hint = hints[e.code];
  return hint === undefined
    ? e
    : new ProbeError(e.code, e.message, { cause: e.cause ?? error, hint, details: e.details });
}

export async function identityFromFiles(
  certFile: string,
  keyFile: string,
  passphrase: string | undefined,
  options: { certOption: string; keyOption: string },
  names: IdentityOptionNames = checkOptionNames,
): Promise<ClientIdentity> {
  const [cert, key] = await Promise.all([
    readOptionFile(options.certOption, certFile),
    readOptionFile(options.keyOption, keyFile),
  ]);
  const parts = [
    { field: certFile, role: 'cert', text: cert.toString('utf8') },
    { field: keyFile, role: 'key', text: key.toString('utf8') },
  ] as const;
  // An encrypted key's reader stands on pkijs: loaded only when the files may hold one.
  await loadAsn1ReadersFor(parts);
  try {
    return readIdentityParts(parts, { source: `file:${certFile}`, passphrase, version: undefined }, lenient);
  } catch (error) {
    throw fileError(error, `${options.certOption}/${options.keyOption}`, names);
  }
}

async function identityFromPfx(
  pfxFile: string,
  passphrase: string | undefined,
  names: IdentityOptionNames,
): Promise<ClientIdentity> {
  const [bytes] = await Promise.all([readOptionFile(names.pfx, pfxFile), loadAsn1Readers()]);
  try {
    return readIdentityParts(
      [{ field: pfxFile, role: 'pfx', bytes: new Uint8Array(bytes) }],
      { source: `file:${pfxFile}`, passphrase, version: undefined },
      lenient,
    );
  } catch (error) {
    throw fileError(error, names.pfx, names);
  }
}

/**
 * Reads the identity through the SDK's own Secrets Manager source (same error codes as the client).
 * The client is wrapped to keep the raw answer: when the SDK refuses the certificate on ALB grounds,
 * the probe re-reads that same answer leniently and reports the refusal as a finding.
 */
async function identityFromSecret(
  source: Extract<CredentialSource, { kind: 'secret' }>,
  timeoutMs: number,
): Promise<ClientIdentity> {
  const { SecretsManagerClient } = await import('../aws/secrets-manager.ts');
  const real = new SecretsManagerClient({
    region: regionOf(source.region),
    ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
    maxAttempts: 2,
    ...awsRequestHandler(),
  });
  let last: GetSecretValueCommandOutput | undefined;
  const capturing = {
    send: async (command: Parameters<SecretsManagerClient['send']>[0]) => {
      // The step deadline: without a Secrets Manager endpoint or NAT the call would wait on TCP.
      const output = (await real.send(command as never, {
        abortSignal: AbortSignal.timeout(timeoutMs),
      })) as GetSecretValueCommandOutput;
      last = output;
      return output;
    },
  } as unknown as SecretsManagerClient;
  const provider = fromSecretsManager({
    secretId: source.secretId,
    client: capturing,
    ...(source.versionStage === undefined ? {} : { versionStage: source.versionStage }),
    ...(source.passphrase === undefined ? {} : { passphrase: source.passphrase }),
  });
  try {
    return await provider.current();
  } catch (error) {
    const output = last;
    if (isMtlsLinkError(error) && error.code.startsWith('CLIENT_CERT_') && output !== undefined) {
      return readIdentity(
        {
          ...(output.SecretString === undefined ? {} : { secretString: output.SecretString }),
          ...(output.SecretBinary === undefined ? {} : { secretBinary: output.SecretBinary }),
          ...(source.passphrase === undefined ? {} : { passphrase: source.passphrase }),
          source: `secretsmanager:${source.secretId}@${source.versionStage ?? 'AWSCURRENT'}`,
          ...(output.VersionId === undefined ? {} : { version: output.VersionId }),
        },
        lenient,
      );
    }
    throw toProbeError(error, `--secret-id ${source.secretId}: cannot read the identity`);
  } finally {
    provider.close();
    real.destroy();
  }
}

/**
 * Reads the client identity from the chosen source; a ProbeError (exit 2) when it cannot be read at
 * all. `names` are the options messages and hints name (`check`'s by default); `timeoutMs` bounds
 * each Secrets Manager call.
 */
export async function loadIdentity(
  source: CredentialSource,
  names: IdentityOptionNames = checkOptionNames,
  timeoutMs: number = PROBE_DEFAULTS.timeoutMs,
): Promise<ClientIdentity> {
  switch (source.kind) {
    case 'files':
      return identityFromFiles(
        source.certFile,
        source.keyFile,
        source.passphrase,
        { certOption: names.cert, keyOption: names.key },
        names,
      );
    case 'pfx':
      return identityFromPfx(source.pfxFile, source.passphrase, names);
    case 'secret':
      return identityFromSecret(source, timeoutMs);
  }
}
