import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PROBE_METRICS } from '../canary-metrics.ts';
import type { ProbeResult } from '../result.ts';

export interface EmfOptions {
  /** @default POWERTOOLS_METRICS_NAMESPACE or MtlsLink/Probe */
  readonly namespace?: string;
  /** The `service` dimension. @default POWERTOOLS_SERVICE_NAME or mtls-probe */
  readonly service?: string;
  /** Extra dimensions on every document (alarms must then select them too). */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Extra properties on the run document that are not dimensions, e.g. the availability zone. */
  readonly metadata?: Readonly<Record<string, string>>;
}

function newMetrics(options: EmfOptions, timestamp: number): Metrics {
  const metrics = new Metrics({
    namespace: options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? PROBE_METRICS.namespace,
    serviceName: options.service ?? process.env.POWERTOOLS_SERVICE_NAME ?? PROBE_METRICS.defaultService,
    ...(options.dimensions === undefined ? {} : { defaultDimensions: { ...options.dimensions } }),
  });
  metrics.setTimestamp(timestamp);
  return metrics;
}

function numberAt(details: Readonly<Record<string, unknown>> | undefined, key: string): number | undefined {
  const value = details?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * CloudWatch embedded-metric-format documents for one run, written with Powertools Metrics: one for
 * the run (success, failed-check count, latency phases, days to expiry of both certificates) and
 * one per check that ran (CheckFailed with the CheckId dimension).
 */
export function emfDocuments(result: ProbeResult, options: EmfOptions = {}): Record<string, unknown>[] {
  const timestamp = Date.parse(result.startedAt);
  const m = PROBE_METRICS.metrics;
  const run = newMetrics(options, timestamp);
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  run.addMetric(m.success, MetricUnit.Count, result.verdict === 'fail' ? 0 : 1);
  run.addMetric(m.checkFailed, MetricUnit.Count, failed);
  const byId = new Map(result.checks.map((c) => [c.id, c]));
  const phases = byId.get('http.response')?.details.phases as Record<string, unknown> | undefined;
  const total = numberAt(phases, 'total');
  if (total !== undefined) run.addMetric(m.latencyTotal, MetricUnit.Milliseconds, total);
  for (const [phase, name] of Object.entries(PROBE_METRICS.phases)) {
    const value = numberAt(phases, phase);
    if (value !== undefined) run.addMetric(name, MetricUnit.Milliseconds, value);
  }
  const clientDays = numberAt(byId.get('client-cert.inspect')?.details, 'daysLeft');
  if (clientDays !== undefined) run.addMetric(m.clientCertDaysToExpiry, MetricUnit.NoUnit, clientDays);
  const serverDays = numberAt(byId.get('tls.server')?.details, 'daysLeft');
  if (serverDays !== undefined) run.addMetric(m.serverCertDaysToExpiry, MetricUnit.NoUnit, serverDays);
  run.addMetadata('verdict', result.verdict);
  run.addMetadata('url', result.target.url);
  for (const [key, value] of Object.entries(options.metadata ?? {})) run.addMetadata(key, value);
  const documents: Record<string, unknown>[] = [run.serializeMetrics() as unknown as Record<string, unknown>];
  for (const check of result.checks) {
    if (check.status === 'skip') continue;
    const perCheck = newMetrics(options, timestamp);
    perCheck.addDimension(PROBE_METRICS.dimensions.checkId, check.id);
    perCheck.addMetric(m.checkFailed, MetricUnit.Count, check.status === 'fail' ? 1 : 0);
    if (check.code !== undefined) perCheck.addMetadata('code', check.code);
    documents.push(perCheck.serializeMetrics() as unknown as Record<string, unknown>);
  }
  return documents;
}

/** One EMF document per line, as CloudWatch Logs expects them. */
export function renderEmf(result: ProbeResult, options: EmfOptions = {}): string {
  return `${emfDocuments(result, options)
    .map((d) => JSON.stringify(d))
    .join('\n')}\n`;
}
