import { PROBE_METRICS } from '@mtls-link/probe/canary-names';

/**
 * The CloudWatch metrics the probe canary writes (as EMF) and the alarms and dashboard here read:
 * the probe's own names (`PROBE_METRICS`), so the two sides cannot drift apart.
 *
 * Every metric carries the `service` dimension (Powertools Metrics' default dimension), set to the
 * canary's name through `POWERTOOLS_SERVICE_NAME`; `CheckFailed` may additionally be emitted per check
 * with the `CheckId` dimension, which the alarms here do not depend on.
 */
export const CANARY_METRICS = {
  namespace: PROBE_METRICS.namespace,
  /** `canary`: the canary name (one per AZ when the canary runs per AZ); `checkId`: a check id. */
  dimensions: PROBE_METRICS.dimensions,
  /**
   * `checkFailed` (count of failed checks in a run), `success` (1 when the run passed, else 0),
   * `clientCertDaysToExpiry` / `serverCertDaysToExpiry` (days, fractional), `latencyTotal` (ms).
   */
  metrics: PROBE_METRICS.metrics,
} as const;

export type CanaryMetricName = (typeof CANARY_METRICS.metrics)[keyof typeof CANARY_METRICS.metrics];
