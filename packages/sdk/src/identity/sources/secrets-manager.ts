import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, SecretError } from '../../errors/index.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import { fieldRole, readIdentity } from '../formats/read-identity.ts';
import type { IdentityProvider } from '../types.ts';

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

type ClientModule = typeof import('@aws-sdk/client-secrets-manager');
let clientModule: Promise<ClientModule> | undefined;
// Loaded on first use so that importing the SDK stays cheap for identities read from files or env.
const loadClientModule = () => {
  clientModule ??= import('@aws-sdk/client-secrets-manager');
  return clientModule;
};

/**
 * An identity stored in AWS Secrets Manager (any format `readIdentity` knows), cached and refreshed
 * in the background. `source` names the secret and stage, e.g. `secretsmanager:consumer/api-client@AWSCURRENT`.
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
  let client = options.client;
  let ownClient = false;

  const get = async (id: string, input: { VersionStage?: string; VersionId?: string }, what: string) => {
    const module = await loadClientModule();
    if (client === undefined) {
      client = new module.SecretsManagerClient({
        ...(options.region === undefined ? {} : { region: options.region }),
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      });
      ownClient = true;
    }
    try {
      return (await client.send(
        new module.GetSecretValueCommand({ SecretId: id, ...input }),
      )) as GetSecretValueCommandOutput;
    } catch (error) {
      throw secretError(error, id, what);
    }
  };

  return new RefreshingIdentityProvider(
    async ({ now }) => {
      const output = await get(
        secretId,
        {
          ...(versionStage === undefined ? {} : { VersionStage: versionStage }),
          ...(versionId === undefined ? {} : { VersionId: versionId }),
        },
        label,
      );
      let passphrase = options.passphrase;
      if (options.passphraseSecretId !== undefined) {
        const second = await get(
          options.passphraseSecretId,
          {},
          `secretsmanager:${options.passphraseSecretId}@AWSCURRENT`,
        );
        passphrase = passphraseFrom(second.SecretString, options.passphraseSecretId);
      }
      return readIdentity(
        {
          ...(output.SecretString === undefined ? {} : { secretString: output.SecretString }),
          ...(output.SecretBinary === undefined ? {} : { secretBinary: output.SecretBinary }),
          ...(passphrase === undefined ? {} : { passphrase }),
          source: label,
          ...(output.VersionId === undefined ? {} : { version: output.VersionId }),
        },
        { now },
      );
    },
    options,
    // A client the caller passed in is the caller's to destroy.
    () => {
      if (ownClient) client?.destroy();
    },
  );
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
