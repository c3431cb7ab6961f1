/**
 * TLS alerts as Node reports them: OpenSSL turns a received alert into an error code such as
 * `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`,
 * `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA` or (OpenSSL 3, TLS 1.3) `ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_REVOKED`. The alert name is the RFC 8446 spelling in lower case.
 */
const alertCode = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13|SSL\/TLS)_ALERT_([A-Z0-9_]+)$/;

/** The alert name carried by an OpenSSL error code, or undefined when the error is not a received alert. */
export function receivedAlertName(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const match = alertCode.exec(code);
  return match?.[1]?.toLowerCase();
}

/**
 * Alerts a server sends when it refuses the client's certificate. `decrypt_error` is what a server says
 * when the CertificateVerify signature does not verify (the key does not belong to the certificate);
 * `access_denied` is what some stacks send for a policy refusal of a valid certificate.
 */
const clientCertificateAlerts: ReadonlySet<string> = new Set([
  'certificate_required',
  'certificate_unknown',
  'certificate_revoked',
  'certificate_expired',
  'bad_certificate',
  'unsupported_certificate',
  'unknown_ca',
  'access_denied',
  'decrypt_error',
]);

export function isClientCertificateAlert(name: string): boolean {
  return clientCertificateAlerts.has(name);
}

/** Errors Node raises when the client's own verification of the server certificate fails. */
const serverUntrustedCodes: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_REVOKED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
]);

export function isServerUntrustedCode(code: string): boolean {
  return serverUntrustedCodes.has(code);
}

export const serverExpiredCodes: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

// OpenSSL's alert numbers, for errors that only carry "SSL alert number N" in their message.
const alertNumbers: Readonly<Record<string, string>> = {
  '40': 'handshake_failure',
  '42': 'bad_certificate',
  '43': 'unsupported_certificate',
  '44': 'certificate_revoked',
  '45': 'certificate_expired',
  '46': 'certificate_unknown',
  '48': 'unknown_ca',
  '49': 'access_denied',
  '51': 'decrypt_error',
  '70': 'protocol_version',
  '116': 'certificate_required',
};

/** The alert a received-alert error reports, from its code or else its message. */
export function alertOfError(code: string | undefined, message: string): string | undefined {
  const fromCode = receivedAlertName(code);
  if (fromCode !== undefined) return fromCode;
  const number = /alert number (\d+)/.exec(message)?.[1];
  return number === undefined ? undefined : alertNumbers[number];
}
