/**
 * The names a deployed canary and its infrastructure agree on: the environment variables the canary
 * handler reads, and the CloudWatch metrics it writes. The probe owns them; the CDK constructs of
 * @mtls-link/consumer-infra import them from here (`@mtls-link/probe/canary-names`, which loads
 * nothing else), so the two sides cannot drift apart.
 */
export { PROBE_METRICS } from '../canary-metrics.ts';

/** Environment variables the canary reads; an invocation event may override the first ones. */
export const CANARY_ENV = {
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
  /**
   * Optional `host:port` to dial instead of the URL's host (SNI and Host stay the URL's); the host may
   * be a DNS name, e.g. a VPC endpoint's zonal name, so one canary per AZ dials only its AZ.
   */
  connectTo: 'MTLS_PROBE_CONNECT_TO',
  /** Optional `ip[:port]` of the DNS server that resolves the URL's host (default: the system's). */
  resolver: 'MTLS_PROBE_RESOLVER',
  /** Server CA: PEM text, or a path to a PEM file. Default: the system roots. */
  ca: 'MTLS_PROBE_CA',
  trustStoreArn: 'MTLS_PROBE_TRUST_STORE_ARN',
  /** Per-step deadline in milliseconds. */
  timeoutMs: 'MTLS_PROBE_TIMEOUT_MS',
  /** Deadline for the answer in milliseconds (default 30000; keep it below the function's timeout). */
  responseTimeoutMs: 'MTLS_PROBE_RESPONSE_TIMEOUT_MS',
  /** Secrets Manager endpoint (the AWS SDK's own variable). */
  secretsEndpoint: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  /** Powertools Metrics: the namespace and the `service` dimension value. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;
