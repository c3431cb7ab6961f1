import { ERROR_CODES, type ErrorCode } from '@mtls-link/sdk';

/**
 * Where a failure sits on the path from this host to the API, and so which team fixes it.
 * The SDK's hops, plus the two the probe alone looks at (the VPC endpoint, revocation).
 */
export type ProbeHop =
  | (typeof ERROR_CODES)[ErrorCode]['hop']
  | 'vpce'
  | 'revocation'
  | 'trust-store'
  | 'private-ca'
  | 'rotation';

interface ProbeCodeInfo {
  readonly hop: ProbeHop;
  readonly hint: string;
}

// Codes only the probe reports: the SDK never looks at the VPC endpoint, and judges CRLs only offline.
const probeOnly = {
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
  CRL_STALE: {
    hop: 'revocation',
    hint: "the CRL's nextUpdate has passed: publish a fresh CRL and re-import it into the trust store",
  },
  CRL_UNAVAILABLE: {
    hop: 'revocation',
    hint: 'the CRL could not be fetched: check the s3:// or https:// location and read permission',
  },
  REVOCATION_NOT_ENFORCED: {
    hop: 'revocation',
    hint: "the server accepted a revoked certificate: add the CRL to the ALB trust store's revocation lists",
  },
  TRUST_STORE_UNAVAILABLE: {
    hop: 'trust-store',
    hint: 'the ALB trust store could not be read: check the ARN, the region and elasticloadbalancing:DescribeTrustStores/GetTrustStoreCaCertificatesBundle permission',
  },
  PCA_REQUEST_FAILED: {
    hop: 'private-ca',
    hint: 'AWS Private CA refused the request: check the CA ARN and region, acm-pca:IssueCertificate/GetCertificate permission, and (for a CA shared through AWS RAM) that the template is one the share allows',
  },
  PCA_TIMEOUT: {
    hop: 'private-ca',
    hint: 'AWS Private CA did not issue the certificate within the deadline: raise --timeout, or fetch it later with aws acm-pca get-certificate',
  },
  ROTATION_STATE_INVALID: {
    hop: 'rotation',
    hint: 'the secret is not in the state this rotation step expects: check DescribeSecret (RotationEnabled, VersionIdsToStages) and remove a stale AWSPENDING label',
  },
  ROTATION_TEST_FAILED: {
    hop: 'rotation',
    hint: 'the API refused the new certificate, so AWSCURRENT was left alone: check that the trust store holds the CA that issued it, then rotate again',
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
