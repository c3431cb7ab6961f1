import { type KeyObject, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import { TestkitError } from '../errors.ts';
import { pemToDer } from '../pki/pem.ts';
import {
  integerContentToHex,
  type ParsedCertificate,
  parseCertificate,
  pemCertificatesToDer,
} from './certificate.ts';

/** What an ALB trust store holds: a CA bundle and revocation lists, all PEM. */
export interface TrustStoreInput {
  readonly caPem: string;
  readonly crlPems?: readonly string[];
}

export interface ParsedCrl {
  readonly issuerDer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revokedSerials: ReadonlySet<string>;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

/** A trust store parsed once, so judging a connection does no parsing of the bundle. */
export interface CompiledTrustStore {
  readonly kind: 'compiled-trust-store';
  readonly cas: readonly ParsedCertificate[];
  readonly crls: readonly ParsedCrl[];
}

const hashBySignatureOid: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

/** Checks a signature over DER bytes (a CRL's tbsCertList) with the issuer's public key. */
export function verifySignedBytes(
  tbs: Uint8Array,
  signatureAlgorithm: string,
  signature: Uint8Array,
  key: KeyObject,
): boolean {
  const hash = hashBySignatureOid[signatureAlgorithm];
  if (hash === undefined) return false;
  try {
    return verify(hash, tbs, key, signature);
  } catch {
    return false;
  }
}

function elements(block: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(block instanceof asn1js.Sequence)) throw new Error(`${what} is not a SEQUENCE`);
  return block.valueBlock.value;
}

function toDate(block: asn1js.AsnType | undefined, what: string): Date {
  if (block instanceof asn1js.UTCTime || block instanceof asn1js.GeneralizedTime) return block.toDate();
  throw new Error(`${what} is not a time`);
}

export function parseCrlDer(der: Uint8Array): ParsedCrl {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new Error('CRL is not DER');
  const [tbsBlock, algBlock, sigBlock] = elements(parsed.result, 'CertificateList');
  const tbsItems = elements(tbsBlock, 'tbsCertList');
  let i = tbsItems[0] instanceof asn1js.Integer ? 1 : 0; // optional version
  i++; // signature AlgorithmIdentifier
  const issuer = tbsItems[i++];
  if (issuer === undefined) throw new Error('CRL has no issuer');
  const thisUpdate = toDate(tbsItems[i++], 'CRL thisUpdate');
  let nextUpdate: Date | undefined;
  const maybeNext = tbsItems[i];
  if (maybeNext instanceof asn1js.UTCTime || maybeNext instanceof asn1js.GeneralizedTime) {
    nextUpdate = maybeNext.toDate();
    i++;
  }
  const revokedSerials = new Set<string>();
  const maybeRevoked = tbsItems[i];
  if (maybeRevoked instanceof asn1js.Sequence) {
    for (const entry of maybeRevoked.valueBlock.value) {
      const [serial] = elements(entry, 'revokedCertificates entry');
      if (!(serial instanceof asn1js.Integer)) throw new Error('CRL entry without a serial');
      revokedSerials.add(integerContentToHex(serial.valueBlock.valueHexView));
    }
  }
  const [algOid] = elements(algBlock, 'CRL signatureAlgorithm');
  if (!(algOid instanceof asn1js.ObjectIdentifier)) throw new Error('CRL signatureAlgorithm without OID');
  if (!(sigBlock instanceof asn1js.BitString)) throw new Error('CRL signature is not a BIT STRING');
  return {
    issuerDer: Buffer.from(issuer.valueBeforeDecodeView),
    thisUpdate,
    nextUpdate,
    revokedSerials,
    tbs: Buffer.from((tbsBlock as asn1js.Sequence).valueBeforeDecodeView),
    signatureAlgorithm: algOid.getValue(),
    signature: Buffer.from(sigBlock.valueBlock.valueHexView),
  };
}

export function parseCrlPem(pem: string): ParsedCrl[] {
  return pemToDer(pem, 'X509 CRL').map(parseCrlDer);
}

/**
 * Parses a trust store the way the ALB import does: at least one CA certificate, every CRL
 * parseable. Throws TestkitError GATEWAY_TRUST_STORE_INVALID naming the part that is wrong.
 */
export function compileTrustStore(input: TrustStoreInput | CompiledTrustStore): CompiledTrustStore {
  if ('kind' in input) return input;
  if (typeof input.caPem !== 'string') {
    throw new TestkitError('GATEWAY_TRUST_STORE_INVALID', 'trustStore.caPem must be a PEM string');
  }
  const ders = pemCertificatesToDer(input.caPem);
  if (ders.length === 0) {
    throw new TestkitError('GATEWAY_TRUST_STORE_INVALID', 'trustStore.caPem holds no CERTIFICATE block');
  }
  const cas = ders.map((der, index) => {
    try {
      return parseCertificate(der);
    } catch (cause) {
      throw new TestkitError(
        'GATEWAY_TRUST_STORE_INVALID',
        `trustStore.caPem: certificate #${index + 1} does not parse`,
        {
          cause,
        },
      );
    }
  });
  const crls: ParsedCrl[] = [];
  (input.crlPems ?? []).forEach((pem, index) => {
    let parsed: ParsedCrl[];
    try {
      parsed = parseCrlPem(pem);
    } catch (cause) {
      throw new TestkitError('GATEWAY_TRUST_STORE_INVALID', `trustStore.crlPems[${index}] does not parse`, {
        cause,
      });
    }
    if (parsed.length === 0) {
      throw new TestkitError(
        'GATEWAY_TRUST_STORE_INVALID',
        `trustStore.crlPems[${index}] holds no X509 CRL block`,
      );
    }
    crls.push(...parsed);
  });
  return { kind: 'compiled-trust-store', cas, crls };
}
