import { createHash, randomUUID } from 'node:crypto';
import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ClientIdentity, isMtlsLinkError, readIdentity } from '@mtls-link/sdk';
import { describeIdentity, type IdentityDescription } from '../describe-identity.ts';
import { ProbeError } from '../errors.ts';
import { defaultTemplateArn, parseCaArn } from './ca-arn.ts';
import { ENROLL_DEFAULTS } from './defaults.ts';
import {
  assertHoldsIdentityOrNothing,
  CURRENT,
  describeSecret,
  identityJson,
  PENDING,
  storeVersion,
} from './identity-secret.ts';
import { createKeyRequest } from './key-request.ts';
import { isKeyType, KEY_TYPES, type KeyType } from './key-types.ts';
import { caSigningAlgorithm, deadlineOf, issueCertificate } from './private-ca.ts';

export const ENROLL_STAGES = [CURRENT, PENDING] as const;
export type EnrollStage = (typeof ENROLL_STAGES)[number];

/** What to issue: the parts `enroll` and the rotation function share. */
export interface IssueOptions {
  readonly caArn: string;
  /** The region the clients use; the CA ARN must name the same one. */
  readonly region: string;
  /** @default the secret id */
  readonly commonName?: string;
  /** @default 'ec-p256' */
  readonly keyType?: string;
  /** @default 365 */
  readonly validityDays?: number;
  /** @default EndEntityClientAuthCertificate/V1 in the CA's partition */
  readonly templateArn?: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** Names the identity in messages and in the judgement (`secretsmanager:<id>@<stage>`). */
  readonly source: string;
  /** Seeds the idempotency token: the same seed and the same CSR answer the same certificate. */
  readonly requestToken?: string;
}

/** An issued identity, judged by the rules of `mtls-probe cert`. */
export interface IssuedIdentity {
  readonly certificateArn: string;
  /** The JSON to store (key material inside: never log it). */
  readonly secretString: string;
  readonly identity: ClientIdentity;
  readonly description: IdentityDescription;
  /** The findings that would make the ALB refuse the certificate. */
  readonly errors: IdentityDescription['findings'];
}

const invalid = (option: string, message: string, hint?: string) =>
  new ProbeError('CONFIG_INVALID', `${option}: ${message}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { option },
  });

/** The key options alone (all a CSR for a CA outside AWS needs). */
export function checkKeyOptions(
  options: { readonly keyType?: string; readonly commonName?: string },
  names: Pick<IssueOptionNames, 'keyType' | 'commonName'> = optionNames,
): KeyType {
  const keyType = options.keyType ?? ENROLL_DEFAULTS.keyType;
  if (!isKeyType(keyType)) {
    throw invalid(
      names.keyType,
      `unknown key type ${JSON.stringify(keyType)}; use one of ${KEY_TYPES.join(', ')}`,
    );
  }
  const commonName = options.commonName;
  if (commonName !== undefined && (commonName.trim() === '' || commonName.length > 64)) {
    throw invalid(names.commonName, 'must be 1 to 64 characters (the X.509 limit for a common name)');
  }
  return keyType;
}

/** Checks every option before any AWS call, naming the option at fault. */
export function checkIssueOptions(options: IssueOptions, names: IssueOptionNames = optionNames) {
  const keyType = checkKeyOptions(options, names);
  const validityDays = options.validityDays ?? ENROLL_DEFAULTS.validityDays;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) {
    throw invalid(names.validityDays, `must be a whole number of days from 1 to 3650 (got ${validityDays})`);
  }
  const timeoutMs = options.timeoutMs ?? ENROLL_DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalid(names.timeout, `must be a positive number of milliseconds (got ${timeoutMs})`);
  }
  const ca = parseCaArn(options.caArn, options.region, names.caArn);
  const templateArn = options.templateArn ?? defaultTemplateArn(ca.partition);
  if (!/^arn:aws[a-z-]*:acm-pca:::template\/[A-Za-z0-9]+\/V\d+$/.test(templateArn)) {
    throw invalid(names.templateArn, `${JSON.stringify(templateArn)} is not a Private CA template ARN`);
  }
  return { keyType, validityDays, timeoutMs, ca, templateArn };
}

const optionNames = {
  caArn: '--ca-arn',
  keyType: '--key-type',
  validityDays: '--validity-days',
  templateArn: '--template-arn',
  commonName: '--common-name',
  timeout: '--timeout',
} as const;
/** How messages name each option: CLI flags for enroll, environment variables for rotation. */
export type IssueOptionNames = Readonly<Record<keyof typeof optionNames, string>>;

/**
 * Judges stored-to-be material exactly as `mtls-probe cert` does: the SDK's reader (leaf by key,
 * chain order) without validation, then the SDK's inspection through describeIdentity.
 */
export function judgeMaterial(parts: { certPem: string; keyPem: string; chainPem: string }, source: string) {
  const secretString = identityJson(parts);
  let identity: ClientIdentity;
  try {
    identity = readIdentity({ secretString, source }, { validate: false });
  } catch (error) {
    if (isMtlsLinkError(error) && error.code === 'CLIENT_CERT_KEY_MISMATCH') {
      return {
        secretString,
        error: { code: error.code, severity: 'error' as const, message: error.message },
      };
    }
    throw error;
  }
  // The JSON is rebuilt from what the reader found, so the stored leaf and chain are in ALB order.
  const ordered = identityJson({
    certPem: identity.certPem,
    keyPem: identity.keyPem,
    chainPem: identity.chainPem,
  });
  const description = describeIdentity(identity);
  return {
    secretString: ordered,
    identity,
    description,
    errors: description.findings.filter((f) => f.severity === 'error'),
  };
}

/** Key and CSR here, certificate from Private CA, judged; nothing is stored. */
export async function issueIdentity(
  pca: ACMPCAClient,
  options: IssueOptions,
  names: IssueOptionNames = optionNames,
): Promise<IssuedIdentity> {
  const checked = checkIssueOptions(options, names);
  const commonName =
    options.commonName ??
    options.source
      .replace(/^secretsmanager:/, '')
      .replace(/@.*$/, '')
      .slice(0, 64);
  const deadline = deadlineOf(checked.timeoutMs);
  const [request, signingAlgorithm] = await Promise.all([
    createKeyRequest(checked.keyType, commonName),
    caSigningAlgorithm(pca, checked.ca.arn, deadline),
  ]);
  // A retried call (same seed, same CSR) must not issue a second certificate; a new key must.
  const seed = options.requestToken ?? randomUUID();
  const idempotencyToken = createHash('sha256')
    .update(seed)
    .update(request.csrPem)
    .digest('hex')
    .slice(0, 36);
  const certificate = await issueCertificate(
    pca,
    {
      caArn: checked.ca.arn,
      csrPem: request.csrPem,
      templateArn: checked.templateArn,
      validityDays: checked.validityDays,
      signingAlgorithm,
      idempotencyToken,
    },
    deadline,
  );
  const judged = judgeMaterial(
    { certPem: certificate.certPem, keyPem: request.keyPem, chainPem: certificate.chainPem },
    options.source,
  );
  if (judged.identity === undefined) {
    throw new ProbeError('PCA_REQUEST_FAILED', `${certificate.certificateArn}: ${judged.error.message}`);
  }
  return {
    certificateArn: certificate.certificateArn,
    secretString: judged.secretString,
    identity: judged.identity,
    description: judged.description,
    errors: judged.errors,
  };
}

export interface EnrollOptions extends Omit<IssueOptions, 'source' | 'requestToken'> {
  readonly secretId: string;
  /** @default 'AWSCURRENT' */
  readonly stage?: string;
  readonly pca: ACMPCAClient;
  readonly secrets: SecretsManagerClient;
}

export interface EnrollResult {
  readonly secretId: string;
  readonly stage: string;
  /** False when the issued certificate broke a rule: nothing was written. */
  readonly stored: boolean;
  readonly versionId?: string;
  readonly certificateArn: string;
  readonly description: IdentityDescription;
}

export function checkStage(stage: string | undefined, option = '--stage'): EnrollStage {
  const value = stage ?? ENROLL_DEFAULTS.stage;
  if (!(ENROLL_STAGES as readonly string[]).includes(value)) {
    throw invalid(option, `must be ${ENROLL_STAGES.join(' or ')} (got ${JSON.stringify(value)})`);
  }
  return value as EnrollStage;
}

/**
 * `mtls-probe enroll` as a function. Every input is checked, and the secret found to be absent or
 * an identity, before anything is issued; the secret is written only when the certificate passes.
 */
export async function enrollIdentity(options: EnrollOptions): Promise<EnrollResult> {
  const stage = checkStage(options.stage);
  if (options.secretId.trim() === '') throw invalid('--secret-id', 'must not be empty');
  checkIssueOptions({ ...options, source: '' });
  const state = await describeSecret(options.secrets, options.secretId);
  await assertHoldsIdentityOrNothing(options.secrets, options.secretId, state);
  const issued = await issueIdentity(options.pca, {
    ...options,
    source: `secretsmanager:${options.secretId}@${stage}`,
  });
  const base = {
    secretId: options.secretId,
    stage,
    certificateArn: issued.certificateArn,
    description: issued.description,
  };
  if (issued.errors.length > 0) return { ...base, stored: false };
  const versionId = await storeVersion(options.secrets, options.secretId, state, issued.secretString, stage);
  return { ...base, stored: true, versionId };
}
