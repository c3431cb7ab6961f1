import { ERROR_CODES, type ErrorCode } from '@mtls-link/sdk';

/**
 * Where a failure sits on the path from this host to the API, and so which team fixes it.
 * The SDK's hops, plus the two the probe alone looks at (the VPC endpoint, revocation).
 */
export type ProbeHop = (typeof ERROR_CODES)[ErrorCode]['hop'] | 'vpce' | 'revocation' | 'trust-store';

interface ProbeCodeInfo {
  readonly hop: ProbeHop;
  readonly hint: string;
}

// Codes only the probe reports: the SDK never looks at the VPC endpoint, and judges CRLs only offline.
const probeOnly = {
  // The SDK resolves through getaddrinfo, which cannot tell these from a timeout (EAI_AGAIN); the
  // probe asks DNS itself and can.
  DNS_SERVFAIL: {
    hop: 'dns',
    hint: 'the resolver answered SERVFAIL: it could not get an answer from the zone (a Route 53 Resolver forwarding rule to an unreachable server, DNSSEC failure, a broken delegation)',
  },
  DNS_REFUSED: {
    hop: 'dns',
    hint: 'the resolver refused the query: it does not serve this name or this client (a resolver without the zone and without recursion, an ACL); use the VPC resolver (the VPC CIDR base + 2) or a Route 53 Resolver endpoint',
  },
  VPCE_NOT_AVAILABLE: {
    hop: 'vpce',
    hint: 'the VPC endpoint is not available: accept the connection on the endpoint service (producer) or recreate a failed endpoint',
  },
  VPCE_DNS_MISMATCH: {
    hop: 'vpce',
    hint: "DNS does not answer with the endpoint's interface addresses: check private DNS on the endpoint or the private hosted zone records",
  },
  VPCE_SG_BLOCKS_443: {
    hop: 'vpce',
    hint: "the endpoint's security groups do not admit TCP 443 from this host: add an inbound rule for 443",
  },
  VPCE_LOOKUP_FAILED: {
    hop: 'vpce',
    hint: 'DescribeVpcEndpoints failed: check the endpoint id, the region and ec2:DescribeVpcEndpoints permission',
  },
  CLIENT_CERT_EXPIRING: {
    hop: 'identity',
    hint: 'the client certificate expires soon: rotate it (store the new one in the secret) before it does',
  },
  CRL_INVALID: {
    hop: 'revocation',
    hint: 'the CRL does not parse or its signature does not verify against its issuer: re-export it from the issuing CA',
  },
  CRL_UNVERIFIED: {
    hop: 'revocation',
    hint: "the CRL's signature could not be checked: no CA of its issuer's name is known to this run; give --trust-store (or --trust-store-arn), or credentials whose chain holds the issuing CA",
  },
  CRL_INCOMPLETE: {
    hop: 'revocation',
    hint: 'a delta CRL was given without the full CRL it updates: give the full (base) CRL too, and import full CRLs into the ALB trust store',
  },
  CRL_STALE: {
    hop: 'revocation',
    hint: "the CRL's nextUpdate has passed: publish a fresh CRL and re-import it into the trust store",
  },
  CRL_UNAVAILABLE: {
    hop: 'revocation',
    hint: 'the CRL could not be fetched: check the s3:// or https:// location and read permission',
  },
  MTLS_UNCONFIRMED: {
    hop: 'tls-client',
    hint: 'the server neither refused nor answered within the response deadline, and showed no evidence of accepting the connection (no response byte, HTTP/2 SETTINGS or TLS 1.3 session ticket): a refusal held back (s2n may wait 10-30 s) or a slow API; raise --response-timeout, or check the ALB connection log',
  },
  MTLS_ENFORCED_BY_BACKEND: {
    hop: 'tls-client',
    hint: 'mTLS is enforced at HTTP level by the backend (401/403 without a certificate), not by the TLS listener: set the ALB listener to mutual TLS verify mode if the listener should refuse',
  },
  REVOCATION_UNCONFIRMED: {
    hop: 'revocation',
    hint: 'the refusal proves nothing about revocation: the certificate would be refused for another reason (see details.otherReasons), or the server did not answer; use a certificate that is valid apart from being revoked',
  },
  REVOCATION_NOT_ENFORCED: {
    hop: 'revocation',
    hint: "the server accepted a revoked certificate: add the CRL to the ALB trust store's revocation lists",
  },
  TRUST_STORE_UNAVAILABLE: {
    hop: 'trust-store',
    hint: 'the ALB trust store could not be read: check the ARN, the region and elasticloadbalancing:DescribeTrustStores/GetTrustStoreCaCertificatesBundle permission',
  },
} as const satisfies Record<string, ProbeCodeInfo>;

/** Codes from the SDK's table the probe's checks report (same spelling, same meaning, same hint). */
const sharedWithSdk = [
  'CONFIG_INVALID',
  'SECRET_NOT_FOUND',
  'SECRET_ACCESS_DENIED',
  'SECRET_THROTTLED',
  'SECRET_UNAVAILABLE',
  'IDENTITY_FORMAT_UNKNOWN',
  'IDENTITY_FIELD_MISSING',
  'IDENTITY_PEM_INVALID',
  'IDENTITY_PASSPHRASE_MISSING',
  'IDENTITY_PASSPHRASE_WRONG',
  'DNS_NXDOMAIN',
  'DNS_TIMEOUT',
  'DNS_PUBLIC_ADDRESS',
  'TCP_REFUSED',
  'TCP_TIMEOUT',
  'TCP_NO_ROUTE',
  'TLS_SERVER_UNTRUSTED',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_SERVER_EXPIRED',
  'TLS_PROTOCOL',
  'TIMEOUT_CONNECT',
  'TIMEOUT_HEADERS',
  'TIMEOUT_BODY',
  'REQUEST_FAILED',
  'CLIENT_CERT_KEY_MISMATCH',
  'CLIENT_CERT_EXPIRED',
  'CLIENT_CERT_NOT_YET_VALID',
  'CLIENT_CERT_PURPOSE_INVALID',
  'CLIENT_CERT_TYPE_UNSUPPORTED',
  'CLIENT_CERT_CHAIN_TOO_DEEP',
  'CLIENT_CERT_UNTRUSTED',
  'CLIENT_CERT_REVOKED',
  'MTLS_NOT_ENFORCED',
  'MTLS_REJECTED',
  'HTTP_ACCESS_DENIED',
  'HTTP_MISSING_AUTH_TOKEN',
  'HTTP_UNAUTHORIZED',
  'HTTP_FORBIDDEN',
  'HTTP_ENDPOINT_POLICY_DENIED',
  'HTTP_GATEWAY_ERROR',
  'HTTP_UNEXPECTED_STATUS',
] as const satisfies readonly ErrorCode[];

export type ProbeCode = (typeof sharedWithSdk)[number] | keyof typeof probeOnly;

function buildTable(): Readonly<Record<ProbeCode, ProbeCodeInfo>> {
  const table: Partial<Record<ProbeCode, ProbeCodeInfo>> = {};
  for (const code of sharedWithSdk) table[code] = ERROR_CODES[code];
  Object.assign(table, probeOnly);
  return table as Record<ProbeCode, ProbeCodeInfo>;
}

/**
 * Every code a probe run can report (in a check result, or as the reason the command could not run),
 * with its hop and default hint. docs/troubleshooting.md documents exactly these; a test keeps the two
 * in step.
 */
export const PROBE_CODES: Readonly<Record<ProbeCode, ProbeCodeInfo>> = buildTable();

export function isProbeCode(value: unknown): value is ProbeCode {
  return typeof value === 'string' && Object.hasOwn(PROBE_CODES, value);
}

export function hintFor(code: ProbeCode): string {
  return PROBE_CODES[code].hint;
}
