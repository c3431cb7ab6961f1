/**
 * The stable error codes of mtls-link, shared by the SDK and the probe. Where a code also appears in
 * the probe's check results (docs/probe-result.schema.json) it is spelled the same and means the same thing.
 * Each code belongs to one hop of the path, and carries the default hint a user sees.
 */
export type Hop =
  | 'config'
  | 'secret'
  | 'identity'
  | 'dns'
  | 'tcp'
  | 'tls-server'
  | 'tls-client'
  | 'timeout'
  | 'http'
  | 'response';

interface CodeInfo {
  readonly hop: Hop;
  readonly hint: string;
}

const table = {
  CONFIG_INVALID: { hop: 'config', hint: 'fix the option named in the message' },
  CLIENT_CLOSED: {
    hop: 'config',
    hint: 'close() was called before this request was sent (or while it waited to be retried): close a client only after its requests settled',
  },

  SECRET_NOT_FOUND: {
    hop: 'secret',
    hint: 'check the secret id/ARN, the region and the version stage; the secret lives in the consumer account',
  },
  SECRET_ACCESS_DENIED: {
    hop: 'secret',
    hint: "grant secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key) to this process's role",
  },
  SECRET_THROTTLED: {
    hop: 'secret',
    hint: 'Secrets Manager throttled the call: cache the identity longer (refreshEvery) or reduce callers',
  },
  SECRET_UNAVAILABLE: {
    hop: 'secret',
    hint: 'Secrets Manager (or the Lambda secrets extension) could not be reached: check the VPC endpoint or NAT',
  },

  IDENTITY_FORMAT_UNKNOWN: {
    hop: 'identity',
    hint: 'store the identity in one of the documented formats (JSON fields with PEM, a PEM bundle, or PKCS#12)',
  },
  IDENTITY_FIELD_MISSING: {
    hop: 'identity',
    hint: 'add the missing field named in the message to the secret',
  },
  IDENTITY_PEM_INVALID: {
    hop: 'identity',
    hint: 'the field does not hold valid PEM: check for truncation, escaped newlines or a wrong field',
  },
  IDENTITY_PASSPHRASE_MISSING: {
    hop: 'identity',
    hint: 'the private key (or PKCS#12) is encrypted: supply its passphrase (secret field or option)',
  },
  IDENTITY_PASSPHRASE_WRONG: {
    hop: 'identity',
    hint: 'the passphrase does not decrypt the key: check the passphrase stored with the secret',
  },
  CLIENT_CERT_KEY_MISMATCH: {
    hop: 'identity',
    hint: 'the private key does not belong to the certificate: store the key and certificate from the same issuance',
  },
  CLIENT_CERT_EXPIRED: {
    hop: 'identity',
    hint: 'the client certificate has expired: issue and store a new one',
  },
  CLIENT_CERT_NOT_YET_VALID: {
    hop: 'identity',
    hint: 'the client certificate is not valid yet: check its notBefore and the clock of this host',
  },
  CLIENT_CERT_PURPOSE_INVALID: {
    hop: 'identity',
    hint: 'the certificate lacks the clientAuth extended key usage (public CAs dropped it in 2026): issue it from a private CA with clientAuth',
  },
  CLIENT_CERT_TYPE_UNSUPPORTED: {
    hop: 'identity',
    hint: 'the ALB accepts RSA 2048-8192 or ECDSA P-256/P-384/P-521 keys: reissue with a supported key',
  },
  CLIENT_CERT_CHAIN_TOO_DEEP: {
    hop: 'identity',
    hint: 'the ALB verifies chains of at most 4 certificates: issue from a shallower CA hierarchy',
  },
  CLIENT_CERT_UNTRUSTED: {
    hop: 'identity',
    hint: "the certificate does not chain to a CA in the ALB trust store: issue from the producer's CA or ask the producer to add your CA",
  },
  CLIENT_CERT_REVOKED: {
    hop: 'identity',
    hint: 'the certificate is listed in a CRL the trust store uses: issue a new one',
  },

  DNS_NXDOMAIN: {
    hop: 'dns',
    hint: "the name does not resolve: check the Route 53 private hosted zone (or the endpoint's private DNS) is associated with this VPC",
  },
  DNS_TIMEOUT: {
    hop: 'dns',
    hint: 'the resolver did not answer: check the VPC resolver (enableDnsSupport) or the resolver address',
  },
  DNS_PUBLIC_ADDRESS: {
    hop: 'dns',
    hint: 'the name resolves to a public address: the private hosted zone is not in effect for this VPC',
  },
  TCP_REFUSED: {
    hop: 'tcp',
    hint: 'the address refused the connection: check the NLB listener on 443 and that its targets are healthy',
  },
  TCP_TIMEOUT: {
    hop: 'tcp',
    hint: "no answer on TCP: check the VPC endpoint's security group admits 443 from this host and the endpoint is available",
  },
  TCP_NO_ROUTE: {
    hop: 'tcp',
    hint: "this host has no route to that address (e.g. an IPv6 address while IPv6 is not enabled in this host's subnet, or a missing route table entry): check the subnet's IPv6 CIDR and route table, or use the endpoint's IPv4 addresses",
  },
  TLS_SERVER_UNTRUSTED: {
    hop: 'tls-server',
    hint: "the server certificate does not chain to a trusted CA: pass the producer's CA (ca option / --ca)",
  },
  TLS_HOSTNAME_MISMATCH: {
    hop: 'tls-server',
    hint: 'the server certificate is not for this name: use the custom domain name (or set servername) the certificate covers',
  },
  TLS_SERVER_EXPIRED: {
    hop: 'tls-server',
    hint: 'the server certificate has expired: the producer must renew the ALB listener certificate',
  },
  TLS_PROTOCOL: {
    hop: 'tls-server',
    hint: "the TLS handshake failed: check the listener's security policy (TLS versions and ciphers)",
  },
  MTLS_REJECTED: {
    hop: 'tls-client',
    hint: 'the server refused the client certificate: check it against the trust store (mtls-probe check shows why)',
  },
  MTLS_NOT_ENFORCED: {
    hop: 'tls-client',
    hint: 'the server accepted a connection without a client certificate: the listener is not in mTLS verify mode',
  },
  TIMEOUT_CONNECT: { hop: 'timeout', hint: 'the connection (TCP + TLS) did not complete in time' },
  TIMEOUT_HEADERS: { hop: 'timeout', hint: 'the server did not send response headers in time' },
  TIMEOUT_BODY: { hop: 'timeout', hint: 'the server stopped sending the response body' },
  TIMEOUT_TOTAL: { hop: 'timeout', hint: 'the request with its retries exceeded its total time budget' },
  ABORTED: { hop: 'timeout', hint: 'the request was aborted by its AbortSignal' },
  REQUEST_FAILED: { hop: 'tcp', hint: 'the connection failed while the request was in flight' },

  HTTP_ACCESS_DENIED: {
    hop: 'http',
    hint: "API Gateway's resource policy denied the call: the producer must allow this VPC endpoint (aws:SourceVpce)",
  },
  HTTP_MISSING_AUTH_TOKEN: {
    hop: 'http',
    hint: 'no such resource, stage or base-path mapping: check the path and the custom domain mapping',
  },
  HTTP_UNAUTHORIZED: {
    hop: 'http',
    hint: "the API's authorizer refused the call (401, or 403 with an explicit deny): check the credentials it expects",
  },
  HTTP_FORBIDDEN: {
    hop: 'http',
    hint: "403 ForbiddenException 'Forbidden': a WAF rule, or a Host / x-apigw-api-id the execute-api endpoint does not route to an API (use the custom domain name, or the API's execute-api host)",
  },
  HTTP_ENDPOINT_POLICY_DENIED: {
    hop: 'http',
    hint: "the execute-api VPC endpoint's policy denied the call (IncompleteSignatureException / InvalidSignatureException): the producer must allow this API in the endpoint policy",
  },
  HTTP_GATEWAY_ERROR: {
    hop: 'http',
    hint: "the load balancer answered itself (502/503/504): the ALB's target (API Gateway VPC endpoint) is unhealthy or slow",
  },
  HTTP_UNEXPECTED_STATUS: { hop: 'http', hint: 'the API answered with a status the caller did not expect' },
  RESPONSE_TOO_LARGE: {
    hop: 'response',
    hint: 'the response is larger than maxResponseSize: raise the option for this API, or page the request',
  },
  RESPONSE_VALIDATION_FAILED: {
    hop: 'response',
    hint: 'the response body did not match the schema: the API and the client disagree on its shape',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof table;

export const ERROR_CODES: Readonly<Record<ErrorCode, CodeInfo>> = table;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(table, value);
}
