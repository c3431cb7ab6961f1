import { isProbeError, ProbeError } from '../errors.ts';
import type { ProbeOptions } from '../options.ts';
import { emfDocuments } from '../render/emf.ts';
import { notRunReport, type ProbeReport } from '../report.ts';
import { runProbeBounded } from '../run-bounded.ts';
import { CANARY_ENV } from './names.ts';

export { CANARY_ENV };

/**
 * What an invocation may carry (`mtls-probe check --via-lambda` sends the check's options this way);
 * anything absent comes from the environment. Key material never travels in an event: the identity
 * is the secret's, and local files (--cert, --pfx, --trust-store FILE, a CRL file) are not the canary's.
 */
export interface CanaryEvent {
  readonly url?: string;
  readonly secretId?: string;
  /** Secret version stage, e.g. AWSPENDING to try a rotation before it is promoted. */
  readonly versionStage?: string;
  /** One location or several: a file, `s3://…` or `https://…`. Comma-separated in the environment. */
  readonly crl?: string | readonly string[];
  readonly expectStatus?: number;
  /** Server CA: PEM text (one or more certificates) or a path inside the function's package. */
  readonly ca?: string;
  readonly connectTo?: string;
  readonly trustStoreArn?: string;
  readonly timeoutMs?: number;
  readonly responseTimeoutMs?: number;
  readonly servername?: string;
  /** DNS server IP[:PORT] to ask instead of the VPC resolver. */
  readonly resolver?: string;
  /** @default false: interface endpoint addresses are private */
  readonly allowPublic?: boolean;
  readonly vpcEndpointId?: string;
  readonly region?: string;
  readonly method?: string;
  /** `Name: value` lines. */
  readonly headers?: readonly string[];
  readonly body?: string;
  readonly warnDays?: number;
  /** Continue past server-trust failures (flagged in the result). */
  readonly insecure?: boolean;
  /** Deadline for the whole run; capped at what the invocation has left. */
  readonly maxTimeMs?: number;
  /** Also read each address's CertificateRequest CA names (`-v`). */
  readonly certificateRequests?: boolean;
}

/** The JSON result of the run, plus why it could not run when an input was unreadable. */
export type CanaryResult = ProbeReport;

/** The part of the Lambda context the handler uses. */
export interface CanaryInvocationContext {
  getRemainingTimeInMillis(): number;
}

export interface CanaryHandlerOptions {
  /** Where EMF documents and the log line go. @default process.stdout */
  readonly write?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Time kept back from Lambda's own timeout to write the metrics and return the result.
   * @default 1000
   */
  readonly reserveMs?: number;
}

function positiveNumber(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw new ProbeError(
      'CONFIG_INVALID',
      `${name}: must be a positive number (got ${JSON.stringify(value)})`,
    );
  return n;
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ProbeError('CONFIG_INVALID', `${name}: must be a string`);
  return value;
}

function flag(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ProbeError('CONFIG_INVALID', `${name}: must be true or false`);
  return value;
}

function lines(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new ProbeError('CONFIG_INVALID', `${name}: must be a list of strings`);
  return value as string[];
}

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Engine options from the event and the environment (the event wins). The event is untrusted JSON: each field is checked. */
export function canaryOptions(event: CanaryEvent, env: NodeJS.ProcessEnv): ProbeOptions {
  const url = text('event.url', event.url) ?? env[CANARY_ENV.url];
  if (url === undefined || url === '') {
    throw new ProbeError(
      'CONFIG_INVALID',
      `${CANARY_ENV.url}: the canary needs the URL to probe (or event.url)`,
    );
  }
  const secretId = text('event.secretId', event.secretId) ?? env[CANARY_ENV.secretId];
  const crlValue = event.crl ?? env[CANARY_ENV.crl];
  const crls = (typeof crlValue === 'string' ? crlValue.split(',') : (lines('event.crl', crlValue) ?? []))
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const ca = text('event.ca', event.ca) ?? env[CANARY_ENV.ca];
  const connectTo = text('event.connectTo', event.connectTo) ?? env[CANARY_ENV.connectTo];
  const resolver = text('event.resolver', event.resolver) ?? env[CANARY_ENV.resolver];
  const trustStoreArn = text('event.trustStoreArn', event.trustStoreArn) ?? env[CANARY_ENV.trustStoreArn];
  const expectStatus = positiveNumber(
    event.expectStatus === undefined ? CANARY_ENV.expectStatus : 'event.expectStatus',
    event.expectStatus ?? env[CANARY_ENV.expectStatus],
  );
  const timeoutMs = positiveNumber(
    event.timeoutMs === undefined ? CANARY_ENV.timeoutMs : 'event.timeoutMs',
    event.timeoutMs ?? env[CANARY_ENV.timeoutMs],
  );
  const responseTimeoutMs = positiveNumber(
    event.responseTimeoutMs === undefined ? CANARY_ENV.responseTimeoutMs : 'event.responseTimeoutMs',
    event.responseTimeoutMs ?? env[CANARY_ENV.responseTimeoutMs],
  );
  const secretsEndpoint = env[CANARY_ENV.secretsEndpoint];
  const versionStage = text('event.versionStage', event.versionStage);
  return {
    url,
    ...(secretId === undefined || secretId === ''
      ? {}
      : {
          credentials: {
            kind: 'secret' as const,
            secretId,
            ...(secretsEndpoint === undefined ? {} : { endpoint: secretsEndpoint }),
            ...(versionStage === undefined ? {} : { versionStage }),
            ...opt('region', text('event.region', event.region)),
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
    ...opt('servername', text('event.servername', event.servername)),
    ...opt('vpcEndpointId', text('event.vpcEndpointId', event.vpcEndpointId)),
    ...opt('region', text('event.region', event.region)),
    ...opt('method', text('event.method', event.method)),
    ...opt('headers', lines('event.headers', event.headers)),
    ...opt('body', typeof event.body === 'string' ? event.body : text('event.body', event.body)),
    ...opt('warnDays', positiveNumber('event.warnDays', event.warnDays)),
    ...opt('insecure', flag('event.insecure', event.insecure)),
    // Inside a VPC the endpoint interface addresses are private; a canary accepts public ones only when asked.
    allowPublic: flag('event.allowPublic', event.allowPublic) ?? false,
  };
}

/** The run's deadline: the event's, capped so the result is written before Lambda's own timeout. */
function maxTimeOf(
  event: CanaryEvent,
  context: CanaryInvocationContext | undefined,
  reserveMs: number,
): number | undefined {
  const asked = positiveNumber('event.maxTimeMs', event.maxTimeMs);
  const left = context?.getRemainingTimeInMillis();
  const budget = left === undefined ? undefined : Math.max(1, left - reserveMs);
  if (asked === undefined) return budget;
  return budget === undefined ? asked : Math.min(asked, budget);
}

/**
 * Builds the Lambda handler: the probe's engine, inputs from the event and environment, EMF
 * metrics and one structured JSON log line per run, and the JSON result as the return value.
 * It never throws for a failing path: the metrics and the result say what failed.
 */
export function createCanaryHandler(options: CanaryHandlerOptions = {}) {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  return async function handler(
    event: CanaryEvent | null | undefined,
    context?: CanaryInvocationContext,
  ): Promise<CanaryResult> {
    const env = options.env ?? process.env;
    const startedAt = new Date();
    const given = event ?? {};
    const url = typeof given.url === 'string' ? given.url : (env[CANARY_ENV.url] ?? '');
    let result: CanaryResult;
    try {
      const maxTimeMs = maxTimeOf(given, context, options.reserveMs ?? 1000);
      result = await runProbeBounded(canaryOptions(given, env), {
        ...(maxTimeMs === undefined ? {} : { maxTimeMs }),
        certificateRequests: flag('event.certificateRequests', given.certificateRequests) === true,
      });
    } catch (error) {
      if (!isProbeError(error)) throw error;
      result = notRunReport(url, error, startedAt);
    }
    const zone = env[CANARY_ENV.availabilityZone];
    // The alarms select metrics by the `service` dimension alone (a per-AZ canary has its own service
    // name), so the zone travels as metadata: an extra dimension would hide the metrics from them.
    const namespace = env[CANARY_ENV.metricsNamespace];
    const service = env[CANARY_ENV.serviceName];
    const documents = emfDocuments(result, {
      ...(namespace === undefined || namespace === '' ? {} : { namespace }),
      ...(service === undefined || service === '' ? {} : { service }),
      metadata: {
        ...(zone === undefined || zone === '' ? {} : { availabilityZone: zone }),
        ...(result.insecure === true ? { insecure: 'true' } : {}),
      },
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
        ...(result.insecure === true ? { insecure: true } : {}),
        ...(result.deadline === undefined ? {} : { deadline: result.deadline }),
        timestamp: new Date().toISOString(),
      })}\n`,
    );
    return result;
  };
}

/** The Lambda entry point (`@mtls-link/probe/canary`, handler `handler`). */
export const handler = createCanaryHandler();
