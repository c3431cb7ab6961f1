/**
 * The CloudWatch names the probe's EMF output uses. @mtls-link/consumer-infra builds its alarms and
 * dashboard from these (`CANARY_METRICS` there), through `@mtls-link/probe/canary-names`.
 */
export const PROBE_METRICS = {
  namespace: 'MtlsLink/Probe',
  dimensions: { canary: 'service', checkId: 'CheckId' },
  metrics: {
    checkFailed: 'CheckFailed',
    success: 'Success',
    clientCertDaysToExpiry: 'ClientCertDaysToExpiry',
    serverCertDaysToExpiry: 'ServerCertDaysToExpiry',
    latencyTotal: 'LatencyTotal',
  },
  /** Latency phases besides the total, one metric each (milliseconds). */
  phases: {
    dns: 'LatencyDns',
    connect: 'LatencyConnect',
    tls: 'LatencyTls',
    firstByte: 'LatencyFirstByte',
  },
  /** The `service` dimension value when POWERTOOLS_SERVICE_NAME is not set. */
  defaultService: 'mtls-probe',
} as const;
