import { performance } from 'node:perf_hooks';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readIdentity } from '@mtls-link/sdk';
import type { ProbeCode } from '../codes.ts';
import { runProbe } from '../engine.ts';
import { issueIdentity } from '../enroll/enroll.ts';
import {
  CURRENT,
  describeSecret,
  holderOf,
  PENDING,
  promote,
  type SecretState,
  secretValue,
  storeVersion,
} from '../enroll/identity-secret.ts';
import { isProbeError, ProbeError, toProbeError } from '../errors.ts';
import { type ProbeOptions, regionOf } from '../options.ts';
import type { CheckId } from '../result.ts';
import { ROTATION_ENV } from './names.ts';

export { ROTATION_ENV };

/** The steps of the Secrets Manager rotation contract. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the function for each step. */
export interface RotationEvent {
  readonly Step: string;
  /** The secret's ARN (or name). */
  readonly SecretId: string;
  /** The new version's id: every step of one rotation carries the same token. */
  readonly ClientRequestToken: string;
  readonly RotationToken?: string;
}

/** What a step did; also the step's log line (without key material, by construction). */
export interface RotationStepResult {
  readonly step: RotationStep;
  readonly secretId: string;
  readonly versionId: string;
  /** created / already-created / nothing-to-set / tested / promoted / already-current */
  readonly outcome: string;
  readonly serial?: string;
  readonly notAfter?: string;
  readonly certificateArn?: string;
  readonly previousVersionId?: string;
  readonly checks?: readonly { id: string; status: string; code?: string }[];
}

export interface RotationHandlerOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the log lines go. @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default a client for the environment's region */
  readonly secrets?: SecretsManagerClient;
  /** @default a client for the environment's region */
  readonly pca?: ACMPCAClient;
  /** Endpoint testSecret reads the AWSPENDING identity through. @default AWS_ENDPOINT_URL_SECRETS_MANAGER */
  readonly secretsEndpoint?: string;
}

/** A pending identity is promoted only when the live API accepted it and answered as expected. */
const MUST_PASS: readonly CheckId[] = ['tls.client-cert', 'http.response'];

const stateError = (message: string, details: Record<string, unknown>) =>
  new ProbeError('ROTATION_STATE_INVALID', message, { details });

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new ProbeError('CONFIG_INVALID', `${name}: must be a positive number (got ${raw})`);
  return n;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ProbeError('CONFIG_INVALID', `${name}: the rotation function needs it`, {
      details: { variable: name },
    });
  }
  return value;
}

const optional = (env: NodeJS.ProcessEnv, name: string) => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

/** The common name of the identity being replaced, so a rotation keeps the name the producer knows. */
function currentCommonName(current: { secretString?: string; secretBinary?: Uint8Array } | undefined) {
  if (current === undefined) return undefined;
  try {
    const identity = readIdentity({ ...current, source: 'current' }, { validate: false });
    return /(?:^|\n)CN=([^\n]+)/.exec(identity.leaf.subject)?.[1];
  } catch {
    // Not an identity yet (a secret created with a generated value): the secret name stands in.
    return undefined;
  }
}

/**
 * Builds the rotation function (`@mtls-link/probe/rotation`, handler `handler`): createSecret
 * enrolls a new identity from AWS Private CA into AWSPENDING, setSecret has nothing to set (the
 * producer trusts the CA, not the certificate), testSecret runs the probe engine with the AWSPENDING
 * identity against the live API and fails unless tls.client-cert and http.response pass, finishSecret
 * moves AWSCURRENT. Each step is idempotent for its ClientRequestToken and writes one JSON log line.
 */
export function createRotationHandler(options: RotationHandlerOptions = {}) {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  let secrets = options.secrets;
  let pca = options.pca;
  // Built on first use and kept across invocations, as Lambda reuses the process.
  const secretsClient = (env: NodeJS.ProcessEnv) => {
    secrets ??= new SecretsManagerClient({ region: regionOf(undefined, env) });
    return secrets;
  };
  const pcaClient = (env: NodeJS.ProcessEnv) => {
    pca ??= new ACMPCAClient({ region: regionOf(undefined, env) });
    return pca;
  };

  const steps: Record<
    RotationStep,
    (event: RotationEvent, state: SecretState, env: NodeJS.ProcessEnv) => Promise<Partial<RotationStepResult>>
  > = {
    async createSecret(event, state, env) {
      const secretId = event.SecretId;
      const token = event.ClientRequestToken;
      const client = secretsClient(env);
      const current = await secretValue(client, secretId, { VersionStage: CURRENT }).catch(
        (error: unknown) => {
          // A secret without a current value yet: this rotation enrolls its first identity.
          if (isProbeError(error) && error.code === 'SECRET_NOT_FOUND') return undefined;
          throw error;
        },
      );
      try {
        await secretValue(client, secretId, { VersionId: token, VersionStage: PENDING });
        return { outcome: 'already-created' };
      } catch (error) {
        if (!isProbeError(error) || error.code !== 'SECRET_NOT_FOUND') throw error;
      }
      const region = regionOf(undefined, env);
      const commonName = optional(env, ROTATION_ENV.commonName) ?? currentCommonName(current);
      const validityDays = positive(env, ROTATION_ENV.validityDays);
      const timeoutMs = positive(env, ROTATION_ENV.issueTimeoutMs);
      const keyType = optional(env, ROTATION_ENV.keyType);
      const templateArn = optional(env, ROTATION_ENV.templateArn);
      const issued = await issueIdentity(
        pcaClient(env),
        {
          caArn: required(env, ROTATION_ENV.caArn),
          region,
          source: `secretsmanager:${secretId}@${PENDING}`,
          requestToken: token,
          ...(commonName === undefined ? {} : { commonName }),
          ...(validityDays === undefined ? {} : { validityDays }),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(keyType === undefined ? {} : { keyType }),
          ...(templateArn === undefined ? {} : { templateArn }),
        },
        {
          caArn: ROTATION_ENV.caArn,
          keyType: ROTATION_ENV.keyType,
          validityDays: ROTATION_ENV.validityDays,
          templateArn: ROTATION_ENV.templateArn,
          commonName: ROTATION_ENV.commonName,
          timeout: ROTATION_ENV.issueTimeoutMs,
        },
      );
      const broken = issued.errors[0];
      if (broken !== undefined) {
        throw new ProbeError(broken.code as ProbeCode, `${issued.certificateArn}: ${broken.message}`, {
          details: { certificateArn: issued.certificateArn },
        });
      }
      await storeVersion(client, secretId, state, issued.secretString, PENDING, token);
      return {
        outcome: 'created',
        serial: issued.description.serial,
        notAfter: issued.description.notAfter,
        certificateArn: issued.certificateArn,
      };
    },

    async setSecret() {
      return { outcome: 'nothing-to-set' };
    },

    async testSecret(event, _state, env) {
      const expectStatus = positive(env, ROTATION_ENV.expectStatus);
      const timeoutMs = positive(env, ROTATION_ENV.timeoutMs);
      const ca = optional(env, ROTATION_ENV.ca);
      const connectTo = optional(env, ROTATION_ENV.connectTo);
      const endpoint = options.secretsEndpoint ?? optional(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER');
      const probe: ProbeOptions = {
        url: required(env, ROTATION_ENV.url),
        credentials: {
          kind: 'secret',
          secretId: event.SecretId,
          versionStage: PENDING,
          region: regionOf(undefined, env),
          ...(endpoint === undefined ? {} : { endpoint }),
        },
        ...(ca === undefined ? {} : ca.includes('-----BEGIN') ? { caPem: ca } : { caFiles: [ca] }),
        ...(connectTo === undefined ? {} : { connectTo }),
        ...(expectStatus === undefined ? {} : { expectStatus }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        allowPublic: false,
      };
      const result = await runProbe(probe);
      const checks = result.checks
        .filter((c) => MUST_PASS.includes(c.id) || c.status === 'fail')
        .map((c) => ({ id: c.id, status: c.status, ...(c.code === undefined ? {} : { code: c.code }) }));
      const notPassed = result.checks.filter((c) => MUST_PASS.includes(c.id) && c.status !== 'pass');
      if (notPassed.length > 0) {
        const first = result.checks.find((c) => c.status === 'fail') ?? notPassed[0];
        throw new ProbeError(
          'ROTATION_TEST_FAILED',
          `${result.target.url}: the AWSPENDING identity did not pass ${notPassed.map((c) => c.id).join(' and ')} (${first?.id}: ${first?.code ?? first?.status}: ${first?.summary})`,
          { details: { checks } },
        );
      }
      return { outcome: 'tested', checks };
    },

    async finishSecret(event, state, env) {
      const previous = holderOf(state, CURRENT);
      await promote(secretsClient(env), event.SecretId, event.ClientRequestToken, previous);
      return { outcome: 'promoted', ...(previous === undefined ? {} : { previousVersionId: previous }) };
    },
  };

  return async function handler(event: RotationEvent): Promise<RotationStepResult> {
    const env = options.env ?? process.env;
    const start = performance.now();
    const step = event?.Step as RotationStep;
    const base = { step, secretId: event?.SecretId ?? '', versionId: event?.ClientRequestToken ?? '' };
    const log = (level: string, fields: Record<string, unknown>) =>
      write(
        `${JSON.stringify({
          level,
          message: `mtls-probe rotation: ${step} ${String(fields.outcome ?? 'failed')}`,
          ...base,
          ...fields,
          durationMs: Math.round(performance.now() - start),
          timestamp: new Date().toISOString(),
        })}\n`,
      );
    try {
      if (!(ROTATION_STEPS as readonly string[]).includes(step)) {
        throw new ProbeError(
          'CONFIG_INVALID',
          `Step: ${JSON.stringify(event?.Step)} is not one of ${ROTATION_STEPS.join(', ')}`,
        );
      }
      if (typeof event.SecretId !== 'string' || typeof event.ClientRequestToken !== 'string') {
        throw new ProbeError('CONFIG_INVALID', 'the event needs SecretId and ClientRequestToken');
      }
      const state = await describeSecret(secretsClient(env), event.SecretId);
      const stages = state.versions[event.ClientRequestToken];
      if (!state.exists || !state.rotationEnabled) {
        throw stateError(`secret ${event.SecretId} is not enabled for rotation`, {
          secretId: event.SecretId,
        });
      }
      if (stages === undefined) {
        throw stateError(
          `secret ${event.SecretId} has no version ${event.ClientRequestToken} to rotate to`,
          base,
        );
      }
      let fields: Partial<RotationStepResult>;
      if (stages.includes(CURRENT)) fields = { outcome: 'already-current' };
      else if (!stages.includes(PENDING)) {
        throw stateError(`version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING`, {
          ...base,
          stages,
        });
      } else fields = await steps[step](event, state, env);
      const result = { ...base, outcome: 'done', ...fields } as RotationStepResult;
      log('INFO', { ...result });
      return result;
    } catch (error) {
      const e = toProbeError(error, `${step} failed`);
      log('ERROR', {
        outcome: 'failed',
        error: { code: e.code, message: e.message, hint: e.hint, ...e.details },
      });
      throw e;
    }
  };
}

/** The Lambda entry point (`@mtls-link/probe/rotation`, handler `handler`). */
export const handler = createRotationHandler();
