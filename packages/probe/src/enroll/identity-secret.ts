import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { isMtlsLinkError, loadAsn1ReadersFor, readIdentity, secretError } from '@mtls-link/sdk';
import { ProbeError, toProbeError } from '../errors.ts';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';

/** The documented JSON layout (the SDK's `certificate` / `privateKey` / `certificateChain` family). */
export function identityJson(parts: { certPem: string; keyPem: string; chainPem: string }): string {
  return JSON.stringify({
    certificate: parts.certPem,
    privateKey: parts.keyPem,
    ...(parts.chainPem === '' ? {} : { certificateChain: parts.chainPem }),
  });
}

/** A key waiting for a certificate from a CA outside AWS (`enroll --csr-out`). */
export function pendingKeyJson(keyPem: string, csrPem: string): string {
  return JSON.stringify({ privateKey: keyPem, certificateSigningRequest: csrPem });
}

// Identity codes that still mean "this is an identity" (one the SDK cannot open without more input).
const STILL_AN_IDENTITY = new Set(['IDENTITY_PASSPHRASE_MISSING', 'IDENTITY_PASSPHRASE_WRONG']);

async function call<T>(secretId: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toProbeError(secretError(error, secretId, `secretsmanager:${secretId} (${what})`), what);
  }
}

/** What the secret holds now: nothing (absent), or its versions and their labels. */
export interface SecretState {
  readonly exists: boolean;
  readonly arn?: string;
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly rotationEnabled: boolean;
}

export async function describeSecret(client: SecretsManagerClient, secretId: string): Promise<SecretState> {
  try {
    const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      exists: true,
      ...(out.ARN === undefined ? {} : { arn: out.ARN }),
      versions: out.VersionIdsToStages ?? {},
      rotationEnabled: out.RotationEnabled === true,
    };
  } catch (error) {
    if ((error as { name?: string })?.name === 'ResourceNotFoundException') {
      return { exists: false, versions: {}, rotationEnabled: false };
    }
    throw toProbeError(
      secretError(error, secretId, `secretsmanager:${secretId} (DescribeSecret)`),
      'DescribeSecret',
    );
  }
}

export async function secretValue(
  client: SecretsManagerClient,
  secretId: string,
  version: { VersionStage?: string; VersionId?: string },
): Promise<{ secretString?: string; secretBinary?: Uint8Array; versionId?: string }> {
  const out = await call(secretId, 'GetSecretValue', () =>
    client.send(new GetSecretValueCommand({ SecretId: secretId, ...version })),
  );
  const value = {
    ...(out.SecretString === undefined ? {} : { secretString: out.SecretString }),
    ...(out.SecretBinary === undefined ? {} : { secretBinary: out.SecretBinary }),
    ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
  };
  // Whoever reads it next reads it synchronously: a PKCS#12 or encrypted key needs its readers now.
  await loadAsn1ReadersFor({ ...value, source: secretId });
  return value;
}

/**
 * Refuses to overwrite a secret whose AWSCURRENT value is not a client identity (a database password
 * under the wrong name, say): enroll would otherwise replace it and break whoever reads it.
 */
export async function assertHoldsIdentityOrNothing(
  client: SecretsManagerClient,
  secretId: string,
  state: SecretState,
): Promise<void> {
  if (!Object.values(state.versions).some((stages) => stages.includes(CURRENT))) return;
  const value = await secretValue(client, secretId, { VersionStage: CURRENT });
  try {
    readIdentity({ ...value, source: `secretsmanager:${secretId}@${CURRENT}` }, { validate: false });
  } catch (error) {
    if (isMtlsLinkError(error) && STILL_AN_IDENTITY.has(error.code)) return;
    const why = error instanceof Error ? error.message : String(error);
    throw new ProbeError(
      'CONFIG_INVALID',
      `--secret-id ${secretId}: its AWSCURRENT value is not a client identity, so enroll leaves it untouched (${why})`,
      {
        hint: 'name a new secret, or one that already holds a client certificate and key',
        details: {
          option: '--secret-id',
          secretId,
          ...(isMtlsLinkError(error) ? { found: error.code } : {}),
        },
      },
    );
  }
}

/**
 * Stores `secretString` under `stage`: CreateSecret when the secret is absent (a name, not an ARN),
 * else PutSecretValue. `token` makes a retried call land on the same version. Returns the VersionId.
 */
export async function storeVersion(
  client: SecretsManagerClient,
  secretId: string,
  state: SecretState,
  secretString: string,
  stage: string,
  token?: string,
): Promise<string> {
  const tokenField = token === undefined ? {} : { ClientRequestToken: token };
  if (!state.exists) {
    if (secretId.startsWith('arn:')) {
      throw new ProbeError(
        'SECRET_NOT_FOUND',
        `--secret-id ${secretId}: no such secret, and a secret cannot be created from an ARN`,
        {
          details: { option: '--secret-id', secretId },
        },
      );
    }
    if (stage === CURRENT) {
      const created = await call(secretId, 'CreateSecret', () =>
        client.send(
          new CreateSecretCommand({
            Name: secretId,
            SecretString: secretString,
            Description:
              'mTLS client identity (certificate, chain, private key), written by mtls-probe enroll',
            ...tokenField,
          }),
        ),
      );
      return created.VersionId ?? '';
    }
    await call(secretId, 'CreateSecret', () =>
      client.send(
        new CreateSecretCommand({
          Name: secretId,
          Description: 'mTLS client identity (certificate, chain, private key), written by mtls-probe enroll',
        }),
      ),
    );
  }
  const put = await call(secretId, 'PutSecretValue', () =>
    client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: secretString,
        VersionStages: [stage],
        ...tokenField,
      }),
    ),
  );
  return put.VersionId ?? '';
}

/** Moves AWSCURRENT onto `versionId` (the version that holds it keeps AWSPREVIOUS). */
export async function promote(
  client: SecretsManagerClient,
  secretId: string,
  versionId: string,
  currentVersionId: string | undefined,
): Promise<void> {
  await call(secretId, 'UpdateSecretVersionStage', () =>
    client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: CURRENT,
        MoveToVersionId: versionId,
        ...(currentVersionId === undefined ? {} : { RemoveFromVersionId: currentVersionId }),
      }),
    ),
  );
}

/** Takes `stage` off `versionId`. */
export async function removeStage(
  client: SecretsManagerClient,
  secretId: string,
  stage: string,
  versionId: string,
): Promise<void> {
  await call(secretId, 'UpdateSecretVersionStage', () =>
    client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        RemoveFromVersionId: versionId,
      }),
    ),
  );
}

export const holderOf = (state: SecretState, stage: string): string | undefined =>
  Object.entries(state.versions).find(([, stages]) => stages.includes(stage))?.[0];
