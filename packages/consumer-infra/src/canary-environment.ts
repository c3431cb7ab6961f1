/**
 * Environment variables the ProbeCanary sets on each canary function; the probe's canary handler
 * reads its inputs from these names (an invocation event may override them).
 */
export const CANARY_ENVIRONMENT = {
  /** The full URL the canary requests, e.g. `https://api.example.com/widgets`. */
  url: 'MTLS_PROBE_URL',
  /** Secrets Manager id (ARN or name) of the client identity. */
  secretId: 'MTLS_PROBE_SECRET_ID',
  /** Optional CRL location: `s3://bucket/key` or an https URL. */
  crl: 'MTLS_PROBE_CRL',
  /** The HTTP status a healthy answer has. */
  expectStatus: 'MTLS_PROBE_EXPECT_STATUS',
  /** The availability zone this canary instance runs in (set when one canary runs per AZ). */
  availabilityZone: 'MTLS_PROBE_AVAILABILITY_ZONE',
  /** Optional `host:port` to dial instead of the URL's host (SNI and Host stay the URL's). */
  connectTo: 'MTLS_PROBE_CONNECT_TO',
  /** Powertools Metrics: the namespace and the `service` dimension value. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;
