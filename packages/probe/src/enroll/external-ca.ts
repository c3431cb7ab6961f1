import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { IdentityDescription } from '../describe-identity.ts';
import { ProbeError } from '../errors.ts';
import { judgeMaterial } from './enroll.ts';
import {
  assertHoldsIdentityOrNothing,
  CURRENT,
  describeSecret,
  holderOf,
  PENDING,
  pendingKeyJson,
  removeStage,
  secretValue,
  storeVersion,
} from './identity-secret.ts';
import { createKeyRequest } from './key-request.ts';
import type { KeyType } from './key-types.ts';

/**
 * First half of enrolling with a CA outside AWS: the key goes into the secret as AWSPENDING (so it
 * never leaves this process any other way), the CSR is returned for the producer to sign.
 */
export async function requestForExternalCa(options: {
  readonly secrets: SecretsManagerClient;
  readonly secretId: string;
  readonly keyType: KeyType;
  readonly commonName: string;
}): Promise<{ csrPem: string; versionId: string }> {
  const { secrets, secretId } = options;
  const state = await describeSecret(secrets, secretId);
  await assertHoldsIdentityOrNothing(secrets, secretId, state);
  const request = await createKeyRequest(options.keyType, options.commonName);
  const versionId = await storeVersion(
    secrets,
    secretId,
    state,
    pendingKeyJson(request.keyPem, request.csrPem),
    PENDING,
  );
  return { csrPem: request.csrPem, versionId };
}

export interface ImportResult {
  readonly stored: boolean;
  readonly versionId?: string;
  readonly description?: IdentityDescription;
  /** Why the certificate was refused before it was judged (its key is not the pending one). */
  readonly refusal?: { code: string; message: string };
}

/**
 * Second half: the signed certificate (with its chain, any order) joins the AWSPENDING key; when it
 * passes the rules of `mtls-probe cert`, the complete identity becomes AWSCURRENT and the key-only
 * version loses AWSPENDING. Secret versions cannot change, so "completing" is a new version.
 */
export async function importCertificate(options: {
  readonly secrets: SecretsManagerClient;
  readonly secretId: string;
  readonly certificatePem: string;
}): Promise<ImportResult> {
  const { secrets, secretId } = options;
  const state = await describeSecret(secrets, secretId);
  const pendingId = holderOf(state, PENDING);
  if (!state.exists || pendingId === undefined) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--import-cert: secret ${secretId} holds no AWSPENDING key to complete`,
      {
        hint: 'run mtls-probe enroll --secret-id ID --csr-out FILE first, and have that CSR signed',
        details: { option: '--import-cert', secretId },
      },
    );
  }
  const pending = await secretValue(secrets, secretId, { VersionId: pendingId, VersionStage: PENDING });
  let keyPem: unknown;
  try {
    keyPem = (JSON.parse(pending.secretString ?? '') as { privateKey?: unknown }).privateKey;
  } catch {
    keyPem = undefined;
  }
  if (typeof keyPem !== 'string') {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--import-cert: the AWSPENDING version of ${secretId} holds no key written by --csr-out`,
      {
        details: { option: '--import-cert', secretId, versionId: pendingId },
      },
    );
  }
  const judged = judgeMaterial(
    { certPem: options.certificatePem, keyPem, chainPem: '' },
    `secretsmanager:${secretId}@${PENDING}`,
  );
  if (judged.identity === undefined) return { stored: false, refusal: judged.error };
  if (judged.errors.length > 0) return { stored: false, description: judged.description };
  await assertHoldsIdentityOrNothing(secrets, secretId, state);
  const versionId = await storeVersion(secrets, secretId, state, judged.secretString, CURRENT);
  await removeStage(secrets, secretId, PENDING, pendingId);
  return { stored: true, versionId, description: judged.description };
}
