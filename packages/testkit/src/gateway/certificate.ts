import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { derToPem, pemToDer } from '../pki/pem.ts';
import { formatRfc2253 } from './distinguished-name.ts';

/** A client or CA certificate with the fields the ALB logic and headers need, parsed once. */
export interface ParsedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  readonly x509: X509Certificate;
  /** DER of the subject and issuer Names, compared byte for byte to match CRLs and issuers. */
  readonly subjectDer: Buffer;
  readonly issuerDer: Buffer;
  /** RFC 2253, as the `X-Amzn-Mtls-Clientcert-Subject` / `-Issuer` headers carry them. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex of the serial's magnitude, no colons, no sign byte. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprint256: string;
  readonly selfSigned: boolean;
  /** Extended key usage OIDs, or undefined when the extension is absent (any purpose). */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly key: { readonly type: string; readonly bits?: number; readonly curve?: string };
}

/**
 * Clients present the same certificates on every connection: parsing (and the self-signature
 * check) once per certificate keeps the per-handshake verdict cheap.
 */
const parsedCache = new Map<string, ParsedCertificate>();
const parsedCacheLimit = 1024;

/** Every CERTIFICATE block of a PEM text, in order, as DER. */
export function pemCertificatesToDer(pem: string): Buffer[] {
  return pemToDer(pem, 'CERTIFICATE');
}

/** The magnitude of a DER INTEGER's content as upper-case hex (leading zero bytes dropped). */
export function integerContentToHex(content: Uint8Array): string {
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  return Buffer.from(content.subarray(start)).toString('hex').toUpperCase();
}

function child(block: asn1js.AsnType | undefined, index: number, what: string): asn1js.AsnType {
  if (!(block instanceof asn1js.Sequence)) throw new Error(`certificate: ${what} is not a SEQUENCE`);
  const value = block.valueBlock.value[index];
  if (value === undefined) throw new Error(`certificate: ${what} has no element ${index}`);
  return value;
}

/** Parses a DER certificate (cached by content; the result is immutable). Throws on malformed DER. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const bytes = Buffer.from(der);
  const cacheKey = bytes.toString('base64');
  const cached = parsedCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const parsed = parseUncached(bytes);
  if (parsedCache.size >= parsedCacheLimit) {
    const oldest = parsedCache.keys().next().value;
    if (oldest !== undefined) parsedCache.delete(oldest);
  }
  parsedCache.set(cacheKey, parsed);
  return parsed;
}

function parseUncached(bytes: Buffer): ParsedCertificate {
  const x509 = new X509Certificate(bytes);
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) throw new Error('certificate: not DER');
  const tbs = child(parsed.result, 0, 'Certificate');
  // TBSCertificate starts with an optional [0] EXPLICIT version.
  const first = child(tbs, 0, 'TBSCertificate');
  const shift = first.idBlock.tagClass === 3 && first.idBlock.tagNumber === 0 ? 1 : 0;
  const serial = child(tbs, shift, 'TBSCertificate');
  const issuer = child(tbs, shift + 2, 'TBSCertificate');
  const subject = child(tbs, shift + 4, 'TBSCertificate');
  if (!(serial instanceof asn1js.Integer)) throw new Error('certificate: serialNumber is not an INTEGER');
  const subjectDer = Buffer.from(subject.valueBeforeDecodeView);
  const issuerDer = Buffer.from(issuer.valueBeforeDecodeView);
  const publicKey = x509.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  return Object.freeze({
    der: bytes,
    pem: derToPem(bytes, 'CERTIFICATE'),
    x509,
    subjectDer,
    issuerDer,
    subject: formatRfc2253(subjectDer),
    issuer: formatRfc2253(issuerDer),
    serialHex: integerContentToHex(serial.valueBlock.valueHexView),
    notBefore: x509.validFromDate,
    notAfter: x509.validToDate,
    fingerprint256: x509.fingerprint256,
    selfSigned: subjectDer.equals(issuerDer) && x509.checkIssued(x509) && x509.verify(publicKey),
    extendedKeyUsage: x509.keyUsage,
    key: {
      type: publicKey.asymmetricKeyType ?? 'unknown',
      ...(details.modulusLength === undefined ? {} : { bits: details.modulusLength }),
      ...(details.namedCurve === undefined ? {} : { curve: details.namedCurve }),
    },
  });
}
