import type { ParsedCertificate } from './certificate.ts';

/** Header names as the ALB sends them (HTTP header names are case-insensitive; Node lower-cases). */
export const mtlsHeaderNames = {
  clientCert: 'X-Amzn-Mtls-Clientcert',
  serialNumber: 'X-Amzn-Mtls-Clientcert-Serial-Number',
  issuer: 'X-Amzn-Mtls-Clientcert-Issuer',
  subject: 'X-Amzn-Mtls-Clientcert-Subject',
  validity: 'X-Amzn-Mtls-Clientcert-Validity',
  leaf: 'X-Amzn-Mtls-Clientcert-Leaf',
} as const;

export type MtlsHeaderField = keyof typeof mtlsHeaderNames;
/** The header names in use: the ALB's, or the ones listener attributes renamed them to. */
export type MtlsHeaderNames = Readonly<Record<MtlsHeaderField, string>>;

/**
 * URL-encodes a PEM the way the ALB does: percent-encoding like encodeURIComponent, except that
 * `+`, `=` and `/` (frequent in base64) are left as they are.
 */
export function encodePemForHeader(pem: string): string {
  return encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
}

/**
 * Decodes an `X-Amzn-Mtls-Clientcert*` header value. Uses decodeURIComponent on purpose: form
 * decoding (URLSearchParams) would turn the `+` of base64 into spaces.
 */
export function decodeMtlsHeader(value: string): string {
  return decodeURIComponent(value);
}

/** `2023-09-21T22:43:21Z`: ISO 8601 without milliseconds, as in the Validity header. */
export function albTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function validityHeaderValue(cert: ParsedCertificate): string {
  return `NotBefore=${albTimestamp(cert.notBefore)};NotAfter=${albTimestamp(cert.notAfter)}`;
}

/** The headers the ALB adds in `verify` mode, describing the accepted leaf. */
export function verifyModeHeaders(
  leaf: ParsedCertificate,
  names: MtlsHeaderNames = mtlsHeaderNames,
): Record<string, string> {
  return {
    [names.serialNumber]: leaf.serialHex,
    [names.issuer]: leaf.issuer,
    [names.subject]: leaf.subject,
    [names.validity]: validityHeaderValue(leaf),
    [names.leaf]: encodePemForHeader(leaf.pem),
  };
}

/** The header the ALB adds in `passthrough` mode: the whole presented chain, leaf first. */
export function passthroughHeaders(
  presented: readonly ParsedCertificate[],
  names: MtlsHeaderNames = mtlsHeaderNames,
): Record<string, string> {
  if (presented.length === 0) return {};
  return { [names.clientCert]: encodePemForHeader(presented.map((cert) => cert.pem).join('')) };
}
