import type { ProbeCode } from './codes.ts';

/**
 * The ALB connection log's `tls_verify_status` for each finding the probe reports, both ways: the
 * probe turns a predicted status into the matching hint, and docs/troubleshooting.md tells people
 * which log value confirms a code.
 */
export const ALB_STATUS_CODES: Readonly<Record<string, ProbeCode>> = {
  'Failed:ClientCertMaxChainDepthExceeded': 'CLIENT_CERT_CHAIN_TOO_DEEP',
  'Failed:ClientCertUntrusted': 'CLIENT_CERT_UNTRUSTED',
  'Failed:ClientCertExpired': 'CLIENT_CERT_EXPIRED',
  'Failed:ClientCertNotYetValid': 'CLIENT_CERT_NOT_YET_VALID',
  'Failed:ClientCertCrlHit': 'CLIENT_CERT_REVOKED',
  'Failed:ClientCertCrlProcessingError': 'CRL_INVALID',
  'Failed:ClientCertPurposeInvalid': 'CLIENT_CERT_PURPOSE_INVALID',
  'Failed:ClientCertTypeUnsupported': 'CLIENT_CERT_TYPE_UNSUPPORTED',
};

export function codeForAlbStatus(status: unknown): ProbeCode | undefined {
  return typeof status === 'string' ? ALB_STATUS_CODES[status] : undefined;
}

/**
 * What the ALB's refusal alert says about the client certificate (the ALB's TLS stack, s2n,
 * sends certificate_revoked, certificate_unknown for an untrusted chain, certificate_expired), so that a
 * rejection the offline checks could not explain still gets a hint that points somewhere.
 */
const ALERT_CODES: Readonly<Record<string, ProbeCode>> = {
  certificate_revoked: 'CLIENT_CERT_REVOKED',
  certificate_expired: 'CLIENT_CERT_EXPIRED',
  certificate_unknown: 'CLIENT_CERT_UNTRUSTED',
  unknown_ca: 'CLIENT_CERT_UNTRUSTED',
  unsupported_certificate: 'CLIENT_CERT_TYPE_UNSUPPORTED',
};

export function codeForRefusalAlert(alert: unknown): ProbeCode | undefined {
  return typeof alert === 'string' ? ALERT_CODES[alert] : undefined;
}
