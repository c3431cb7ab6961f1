/**
 * The CloudWatch metrics the probe canary writes (as EMF) and the alarms and dashboard here read.
 * The probe's EMF writer imports this constant so the two sides cannot drift apart.
 *
 * Every metric carries the `service` dimension (Powertools Metrics' default dimension), set to the
 * canary's name through `POWERTOOLS_SERVICE_NAME`; `CheckFailed` may additionally be emitted per check
 * with the `CheckId` dimension, which the alarms here do not depend on.
 */
export const CANARY_METRICS = {
  namespace: 'MtlsLink/Probe',
  dimensions: {
    /** Value: the canary name (one per AZ when the canary runs per AZ). */
    canary: 'service',
    /** Value: a check id such as `tls.client-cert`; optional, for per-check breakdowns. */
    checkId: 'CheckId',
  },
  metrics: {
    /** Count, 1 per failed check in a run (0 or absent when all pass). */
    checkFailed: 'CheckFailed',
    /** Count, 1 when the whole run passed, 0 when any check failed. */
    success: 'Success',
    /** Days (fractional) until the client certificate's notAfter. */
    clientCertDaysToExpiry: 'ClientCertDaysToExpiry',
    /** Days (fractional) until the server certificate's notAfter. */
    serverCertDaysToExpiry: 'ServerCertDaysToExpiry',
    /** Milliseconds, DNS lookup to last response byte. */
    latencyTotal: 'LatencyTotal',
  },
} as const;

export type CanaryMetricName = (typeof CANARY_METRICS.metrics)[keyof typeof CANARY_METRICS.metrics];
