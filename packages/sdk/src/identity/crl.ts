import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Certificate, CertificateRevocationList } from 'pkijs';
import { decodeBase64Text, splitPemBlocks } from './pem.ts';

// Short names for the attributes CA names use, so messages read "CN=…, O=…" rather than OIDs.
const attributeNames: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** A revocation list, parsed; the signature is checked against a CA later. */
export interface RevocationList {
  readonly index: number;
  readonly issuerDer: Buffer;
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revokedSerials: ReadonlySet<string>;
  readonly tbs: Uint8Array;
  readonly signatureOid: string;
  readonly signature: Uint8Array;
}

const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^(00)+(?=.)/, '');
}

function integerHex(value: asn1js.Integer): string {
  return normalizeSerial(Buffer.from(value.valueBlock.valueHexView).toString('hex'));
}

/** Reads one CRL input (PEM with one or more `X509 CRL` blocks, or base64 DER). Throws a plain Error. */
export function parseCrls(input: string, index: number): RevocationList[] {
  const ders = input.includes('-----BEGIN ')
    ? splitPemBlocks(input, `crl #${index + 1}`, 'crl')
        .filter((b) => b.label === 'X509 CRL' || b.label === 'CRL')
        .map((b) => b.der)
    : [decodeBase64Text(input)].filter((d): d is Buffer => d !== undefined);
  if (ders.length === 0) throw new Error('no X509 CRL block found');
  return ders.map((der) => {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1) throw new Error('not DER');
    const crl = new CertificateRevocationList({ schema: parsed.result });
    const revoked = new Set(
      (crl.revokedCertificates ?? []).map((entry) => integerHex(entry.userCertificate)),
    );
    return {
      index,
      issuerDer: Buffer.from(crl.issuer.toSchema().toBER(false)),
      issuer: crl.issuer.typesAndValues
        .map((t) => `${attributeNames[t.type] ?? t.type}=${t.value.valueBlock.value}`)
        .join(', '),
      thisUpdate: crl.thisUpdate.value,
      nextUpdate: crl.nextUpdate?.value,
      revokedSerials: revoked,
      tbs: crl.tbsView,
      signatureOid: crl.signatureAlgorithm.algorithmId,
      signature: crl.signatureValue.valueBlock.valueHexView,
    };
  });
}

const subjectDers = new WeakMap<X509Certificate, Buffer>();

/** The DER of a certificate's subject or issuer name, to match CRL issuers byte for byte. */
export function nameDer(cert: X509Certificate, which: 'subject' | 'issuer'): Buffer {
  if (which === 'subject') {
    const cached = subjectDers.get(cert);
    if (cached) return cached;
  }
  const parsed = Certificate.fromBER(cert.raw);
  const der = Buffer.from((which === 'subject' ? parsed.subject : parsed.issuer).toSchema().toBER(false));
  if (which === 'subject') subjectDers.set(cert, der);
  return der;
}

/** Whether `ca` signed the CRL; undefined when the signature algorithm is not one we can check. */
export function crlSignedBy(crl: RevocationList, ca: X509Certificate): boolean | undefined {
  const hash = SIGNATURE_HASHES[crl.signatureOid];
  if (!hash) return undefined;
  try {
    return verifySignature(hash, crl.tbs, ca.publicKey, crl.signature);
  } catch {
    return false;
  }
}
