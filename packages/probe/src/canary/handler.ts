import { runProbe } from '../engine.ts';
import { isProbeError, ProbeError } from '../errors.ts';
import type { ProbeOptions } from '../options.ts';
import { emfDocuments } from '../render/emf.ts';
import { CHECK_IDS, type ProbeResult } from '../result.ts';
import { parseTarget } from '../run-context.ts';

import { CANARY_ENV } from './names.ts';

export { CANARY_ENV };

/** What an invocation may carry; anything absent comes from the environment. */
export interface CanaryEvent {
  readonly url?: string;
  readonly secretId?: string;
  /** One location or several: a file, `s3://…` or `https://…`. Comma-separated in the environment. */
  readonly crl?: string | readonly string[];
  readonly expectStatus?: number;
  readonly ca?: string;
  readonly connectTo?: string;
  readonly resolver?: string;
  readonly trustStoreArn?: string;
  readonly timeoutMs?: number;
  readonly responseTimeoutMs?: number;
}

/** The JSON result of the run, plus why it could not run when an input was unreadable. */
export type CanaryResult = ProbeResult & {
  readonly error?: { readonly code: string; readonly message: string; readonly hint: string };
};

export interface CanaryHandlerOptions {
  /** Where EMF documents and the log line go. @default process.stdout */
  readonly write?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

function positiveNumber(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ProbeError('CONFIG_INVALID', `${name}: must be a positive number (got ${value})`);
  return n;
}

/** Engine options from the event and the environment (the event wins). */
export function canaryOptions(event: CanaryEvent, env: NodeJS.ProcessEnv): ProbeOptions {
  const url = event.url ?? env[CANARY_ENV.url];
  if (url === undefined || url === '') {
    throw new ProbeError(
      'CONFIG_INVALID',
      `${CANARY_ENV.url}: the canary needs the URL to probe (or event.url)`,
    );
  }
  const secretId = event.secretId ?? env[CANARY_ENV.secretId];
  const crlValue = event.crl ?? env[CANARY_ENV.crl];
  const crls = (typeof crlValue === 'string' ? crlValue.split(',') : (crlValue ?? []))
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const ca = event.ca ?? env[CANARY_ENV.ca];
  const connectTo = event.connectTo ?? env[CANARY_ENV.connectTo];
  const resolver = event.resolver ?? env[CANARY_ENV.resolver];
  const trustStoreArn = event.trustStoreArn ?? env[CANARY_ENV.trustStoreArn];
  const expectStatus = positiveNumber(
    CANARY_ENV.expectStatus,
    event.expectStatus ?? env[CANARY_ENV.expectStatus],
  );
  const timeoutMs = positiveNumber(CANARY_ENV.timeoutMs, event.timeoutMs ?? env[CANARY_ENV.timeoutMs]);
  const responseTimeoutMs = positiveNumber(
    CANARY_ENV.responseTimeoutMs,
    event.responseTimeoutMs ?? env[CANARY_ENV.responseTimeoutMs],
  );
  const secretsEndpoint = env[CANARY_ENV.secretsEndpoint];
  return {
    url,
    ...(secretId === undefined || secretId === ''
      ? {}
      : {
          credentials: {
            kind: 'secret' as const,
            secretId,
            ...(secretsEndpoint === undefined ? {} : { endpoint: secretsEndpoint }),
          },
        }),
    ...(crls.length === 0 ? {} : { crls }),
    ...(ca === undefined || ca === '' ? {} : ca.includes('-----BEGIN') ? { caPem: ca } : { caFiles: [ca] }),
    ...(connectTo === undefined || connectTo === '' ? {} : { connectTo }),
    ...(resolver === undefined || resolver === '' ? {} : { resolver }),
    ...(trustStoreArn === undefined || trustStoreArn === '' ? {} : { trustStoreArn }),
    ...(expectStatus === undefined ? {} : { expectStatus }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(responseTimeoutMs === undefined ? {} : { responseTimeoutMs }),
    // Inside a VPC the endpoint interface addresses are private; a canary has no reason to accept public ones.
    allowPublic: false,
  };
}

function notRun(url: string, error: ProbeError, startedAt: Date): CanaryResult {
  let target: ProbeResult['target'];
  try {
    const t = parseTarget(url);
    target = { url: t.url, host: t.host, port: t.port, servername: t.servername };
  } catch {
    target = { url, host: '', port: 0, servername: '' };
  }
  return {
    schemaVersion: 1,
    target,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    verdict: 'fail',
    checks: CHECK_IDS.map((id) => ({
      id,
      status: 'skip' as const,
      durationMs: 0,
      summary: `not run: ${error.code}`,
      details: {},
    })),
    error: { code: error.code, message: error.message, hint: error.hint },
  };
}

/**
 * Builds the Lambda handler: the probe's engine, inputs from the event and environment, EMF
 * metrics and one structured JSON log line per run, and the JSON result as the return value.
 * It never throws for a failing path: the metrics and the result say what failed.
 */
export function createCanaryHandler(options: CanaryHandlerOptions = {}) {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  return async function handler(event: CanaryEvent | null | undefined): Promise<CanaryResult> {
    const env = options.env ?? process.env;
    const startedAt = new Date();
    const url = event?.url ?? env[CANARY_ENV.url] ?? '';
    let result: CanaryResult;
    try {
      result = await runProbe(canaryOptions(event ?? {}, env));
    } catch (error) {
      if (!isProbeError(error)) throw error;
      result = notRun(url, error, startedAt);
    }
    const zone = env[CANARY_ENV.availabilityZone];
    // The alarms select metrics by the `service` dimension alone (a per-AZ canary has its own service
    // name), so the zone travels as metadata: an extra dimension would hide the metrics from them.
    const namespace = env[CANARY_ENV.metricsNamespace];
    const service = env[CANARY_ENV.serviceName];
    const documents = emfDocuments(result, {
      ...(namespace === undefined || namespace === '' ? {} : { namespace }),
      ...(service === undefined || service === '' ? {} : { service }),
      ...(zone === undefined || zone === '' ? {} : { metadata: { availabilityZone: zone } }),
    });
    if (result.error !== undefined) {
      // Nothing ran: count the run as failed so the alarm on Success/CheckFailed fires.
      const first = documents[0] as Record<string, unknown>;
      first.CheckFailed = 1;
    }
    for (const document of documents) write(`${JSON.stringify(document)}\n`);
    const failed = result.checks.filter((c) => c.status === 'fail');
    write(
      `${JSON.stringify({
        level: result.verdict === 'fail' ? 'ERROR' : result.verdict === 'warn' ? 'WARN' : 'INFO',
        message: `mtls-probe canary: ${result.verdict}`,
        url: result.target.url,
        verdict: result.verdict,
        durationMs: result.durationMs,
        ...(zone === undefined || zone === '' ? {} : { availabilityZone: zone }),
        failed: failed.map((c) => ({ id: c.id, code: c.code, summary: c.summary })),
        ...(result.error === undefined ? {} : { error: result.error }),
        timestamp: new Date().toISOString(),
      })}\n`,
    );
    return result;
  };
}

/** The Lambda entry point (`@mtls-link/probe/canary`, handler `handler`). */
export const handler = createCanaryHandler();
