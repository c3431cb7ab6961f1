import type {
  GetSecretValueCommandOutput,
  SecretsManagerClient,
  SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { ConfigError, isMtlsLinkError, SecretError } from '../../errors/index.ts';
import { loadAsn1ReadersFor } from '../formats/asn1-readers.ts';
import { fieldRole, readIdentity } from '../formats/read-identity.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import type { ClientIdentity, IdentityProvider } from '../types.ts';
import { positiveMs } from './source-options.ts';

export interface SecretsManagerIdentityOptions extends RefreshOptions {
  /** Name or ARN of the secret holding the identity. */
  readonly secretId: string;
  /** @default 'AWSCURRENT' (use 'AWSPENDING' to try a rotation before it completes) */
  readonly versionStage?: string;
  /** A specific version instead of a stage. */
  readonly versionId?: string;
  /** An existing client (credentials, region, retries, endpoint as you configured them). */
  readonly client?: SecretsManagerClient;
  /** Used only when no `client` is given. @default the SDK's region resolution */
  readonly region?: string;
  /** Used only when no `client` is given, e.g. a VPC endpoint URL. @default AWS_ENDPOINT_URL_SECRETS_MANAGER or the regional endpoint */
  readonly endpoint?: string;
  /** Passphrase for an encrypted key or PKCS#12 when the secret does not hold one in a `passphrase` field. */
  readonly passphrase?: string;
  /** A second secret holding the passphrase (plain SecretString, or JSON with a `passphrase` field). */
  readonly passphraseSecretId?: string;
  /** TCP + TLS connect timeout of the client built here (not of a `client` passed in). @default 3000 */
  readonly connectTimeoutMs?: number;
  /**
   * Deadline of one secret read, the AWS SDK's own retries included, whatever the client. A request
   * waiting for the identity also stops at its own deadline. @default 5000
   */
  readonly timeoutMs?: number;
}

/** The AWS error names behind each secret code. */
const NOT_FOUND = new Set(['ResourceNotFoundException']);
const DENIED = new Set([
  'AccessDeniedException',
  'DecryptionFailure',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);
const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Maps an AWS SDK (or Lambda extension) failure onto SECRET_* with the original kept as `cause`. */
export function secretError(error: unknown, secretId: string, label: string): SecretError {
  const name = (error as { name?: unknown })?.name;
  const awsName = typeof name === 'string' ? name : 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const where = `${label} (secret ${secretId})`;
  const details = { secretId, awsError: awsName, ...(status === undefined ? {} : { httpStatus: status }) };
  if (NOT_FOUND.has(awsName)) {
    return new SecretError('SECRET_NOT_FOUND', `${where}: not found (${awsName})`, { cause: error, details });
  }
  if (DENIED.has(awsName) || status === 403) {
    return new SecretError('SECRET_ACCESS_DENIED', `${where}: access denied (${awsName})`, {
      cause: error,
      details,
    });
  }
  if (THROTTLED.has(awsName) || status === 429) {
    return new SecretError('SECRET_THROTTLED', `${where}: throttled (${awsName})`, { cause: error, details });
  }
  return new SecretError('SECRET_UNAVAILABLE', `${where}: could not be read (${awsName})`, {
    cause: error,
    details,
  });
}

/** A read that ran out of its own deadline, said as such rather than as the AbortError it surfaced as. */
export function secretTimeout(error: unknown, secretId: string, label: string, ms: number): SecretError {
  return new SecretError('SECRET_UNAVAILABLE', `${label} (secret ${secretId}): no answer within ${ms} ms`, {
    cause: error,
    details: { secretId, timeoutMs: ms },
  });
}

type ClientModule = typeof import('@aws-sdk/client-secrets-manager');
let clientModule: Promise<ClientModule> | undefined;
// Loaded on first use so that importing the SDK stays cheap for identities read from files or env.
const loadClientModule = () => {
  clientModule ??= import('@aws-sdk/client-secrets-manager');
  return clientModule;
};

export interface SecretReadOptions {
  readonly client?: SecretsManagerClient | undefined;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
}

/** GetSecretValue with the caller's signal and a deadline of its own; the client is built on first use. */
export interface SecretReader {
  get(
    id: string,
    input: { VersionStage?: string; VersionId?: string },
    label: string,
    signal: AbortSignal,
  ): Promise<GetSecretValueCommandOutput>;
  /** Destroys the client when this reader built it. */
  close(): void;
}

export function secretReader(options: SecretReadOptions): SecretReader {
  let client = options.client;
  let ownClient = false;
  return {
    async get(id, input, label, signal) {
      const module = await loadClientModule();
      if (client === undefined) {
        const config: SecretsManagerClientConfig = {
          ...(options.region === undefined ? {} : { region: options.region }),
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          // Without these the AWS SDK waits on a silent endpoint for as long as the socket lives.
          requestHandler: {
            connectionTimeout: options.connectTimeoutMs,
            requestTimeout: options.timeoutMs,
          },
        };
        client = new module.SecretsManagerClient(config);
        ownClient = true;
      }
      const deadline = AbortSignal.timeout(options.timeoutMs);
      try {
        return (await client.send(new module.GetSecretValueCommand({ SecretId: id, ...input }), {
          abortSignal: AbortSignal.any([signal, deadline]),
        })) as GetSecretValueCommandOutput;
      } catch (error) {
        if (deadline.aborted && !signal.aborted) throw secretTimeout(error, id, label, options.timeoutMs);
        throw secretError(error, id, label);
      }
    },
    close() {
      if (ownClient) client?.destroy();
    },
  };
}

/**
 * An identity stored in AWS Secrets Manager (any format `readIdentity` knows), cached and refreshed
 * in the background. `source` names the secret and stage, e.g. `secretsmanager:consumer/api-client@AWSCURRENT`.
 * A refresh that finds the same `VersionId` keeps the identity it has (no parsing, no PKCS#12 key
 * derivation) and the passphrase secret is read again only when the identity's version changed.
 */
export function fromSecretsManager(options: SecretsManagerIdentityOptions): IdentityProvider {
  if (typeof options?.secretId !== 'string' || options.secretId.length === 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'fromSecretsManager: option secretId must be a non-empty string',
      {
        details: { option: 'secretId' },
      },
    );
  }
  const { secretId, versionStage, versionId } = options;
  const label = `secretsmanager:${secretId}@${versionId ?? versionStage ?? 'AWSCURRENT'}`;
  const reader = secretReader({
    client: options.client,
    region: options.region,
    endpoint: options.endpoint,
    connectTimeoutMs: positiveMs('fromSecretsManager', 'connectTimeoutMs', options.connectTimeoutMs, 3000),
    timeoutMs: positiveMs('fromSecretsManager', 'timeoutMs', options.timeoutMs, 5000),
  });
  // The passphrase read from its own secret, kept as long as it decrypts the identity.
  let cachedPassphrase: string | undefined;

  return new RefreshingIdentityProvider(
    async ({ now, signal, previous }) => {
      const output = await reader.get(
        secretId,
        {
          ...(versionStage === undefined ? {} : { VersionStage: versionStage }),
          ...(versionId === undefined ? {} : { VersionId: versionId }),
        },
        label,
        signal,
      );
      const unchanged = unchangedIdentity(previous, output.VersionId, now);
      if (unchanged !== undefined) return unchanged;
      const material = {
        ...(output.SecretString === undefined ? {} : { secretString: output.SecretString }),
        ...(output.SecretBinary === undefined ? {} : { secretBinary: output.SecretBinary }),
        source: label,
        ...(output.VersionId === undefined ? {} : { version: output.VersionId }),
      };
      await loadAsn1ReadersFor(material);
      const read = (passphrase: string | undefined): ClientIdentity =>
        readIdentity({ ...material, ...(passphrase === undefined ? {} : { passphrase }) }, { now });
      const passphraseId = options.passphraseSecretId;
      if (passphraseId === undefined) return read(options.passphrase);
      const fetchPassphrase = async () => {
        const second = await reader.get(
          passphraseId,
          {},
          `secretsmanager:${passphraseId}@AWSCURRENT`,
          signal,
        );
        const passphrase = passphraseFrom(second.SecretString, passphraseId);
        cachedPassphrase = passphrase;
        return passphrase;
      };
      const cached = cachedPassphrase;
      if (cached === undefined) return read(await fetchPassphrase());
      try {
        return read(cached);
      } catch (error) {
        // The passphrase rotated with the identity: read it once more.
        if (isMtlsLinkError(error) && error.code === 'IDENTITY_PASSPHRASE_WRONG')
          return read(await fetchPassphrase());
        throw error;
      }
    },
    options,
    // A client the caller passed in is the caller's to destroy.
    () => reader.close(),
  );
}

/** The identity in hand when the secret still has its version and the identity is still valid. */
export function unchangedIdentity(
  previous: ClientIdentity | undefined,
  version: string | undefined,
  now: number,
): ClientIdentity | undefined {
  if (previous === undefined || version === undefined || previous.version !== version) return undefined;
  return now <= previous.notAfter.getTime() ? previous : undefined;
}

/** A passphrase secret: plain text, or JSON with a `passphrase`/`password` field. */
function passphraseFrom(secretString: string | undefined, secretId: string): string {
  if (secretString === undefined) {
    throw new SecretError(
      'SECRET_NOT_FOUND',
      `secretsmanager:${secretId}: the passphrase secret has no SecretString`,
      {
        details: { secretId },
      },
    );
  }
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [name, value] of Object.entries(parsed)) {
          if (fieldRole(name) === 'passphrase' && typeof value === 'string') return value;
        }
      }
    } catch {
      // Not JSON after all: the whole string is the passphrase.
    }
  }
  return secretString.replace(/\r?\n$/, '');
}
