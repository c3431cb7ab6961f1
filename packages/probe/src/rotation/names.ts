/**
 * The environment the rotation function reads (the CDK construct sets these names). Kept apart from
 * the handler so that infrastructure code can import them without the handler's dependencies.
 */
export const ROTATION_ENV = {
  /** ARN of the AWS Private CA that issues the new certificate. */
  caArn: 'MTLS_ROTATION_CA_ARN',
  /** @default EndEntityClientAuthCertificate/V1 */
  templateArn: 'MTLS_ROTATION_TEMPLATE_ARN',
  /** @default 365 */
  validityDays: 'MTLS_ROTATION_VALIDITY_DAYS',
  /** ec-p256 | ec-p384 | rsa-2048 | rsa-4096. @default ec-p256 */
  keyType: 'MTLS_ROTATION_KEY_TYPE',
  /** @default the common name of the current certificate, else the secret name */
  commonName: 'MTLS_ROTATION_COMMON_NAME',
  /** The live API URL testSecret probes with the AWSPENDING identity. */
  url: 'MTLS_ROTATION_URL',
  /** PEM (or a path) trusted for the API's server certificate. @default system roots */
  ca: 'MTLS_ROTATION_CA',
  /** `host:port` to dial instead of the URL's host. */
  connectTo: 'MTLS_ROTATION_CONNECT_TO',
  /** @default 200 */
  expectStatus: 'MTLS_ROTATION_EXPECT_STATUS',
  /** Per probe step in testSecret, in ms. @default 5000 */
  timeoutMs: 'MTLS_ROTATION_TIMEOUT_MS',
  /** Deadline for IssueCertificate and the wait for GetCertificate, in ms. @default 60000 */
  issueTimeoutMs: 'MTLS_ROTATION_ISSUE_TIMEOUT_MS',
} as const;
