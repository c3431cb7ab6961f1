import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as asn1js from 'asn1js';
import type { Extension } from 'pkijs';
import { onDemand } from './on-demand.ts';
import { decodeBase64Text, splitPemBlocks } from './pem.ts';
import { normalizeSerial } from './serial.ts';
import type { IdentityFinding } from './types.ts';

interface Asn1Modules {
  readonly asn1js: typeof import('asn1js');
  readonly pkijs: typeof import('pkijs');
}

const asn1Modules = onDemand<Asn1Modules>(
  async () => {
    const [asn1, pki] = await Promise.all([import('asn1js'), import('pkijs')]);
    return { asn1js: asn1, pkijs: pki };
  },
  () => {
    const require = createRequire(import.meta.url);
    return {
      asn1js: require('asn1js') as Asn1Modules['asn1js'],
      pkijs: require('pkijs') as Asn1Modules['pkijs'],
    };
  },
);
const modules = asn1Modules.get;

/**
 * Loads pkijs and asn1js, which CRLs (and the name and key-identifier readers) stand on: about
 * 30 ms of start-up CPU that a caller without CRLs never needs. Await it before the first CRL (the
 * probe does); without it, the first use loads them synchronously, which a bundle that leaves
 * node_modules behind cannot do.
 */
export function loadCrlReader(): Promise<void> {
  return asn1Modules.load();
}

// Short names for the attributes CA names use, so messages read "CN=…, O=…" rather than OIDs.
export const DN_ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
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
  /** Serials listed as revoked (entries with reason removeFromCRL are not: see `removedSerials`). */
  readonly revokedSerials: ReadonlySet<string>;
  /**
   * Serials listed with reason removeFromCRL (RFC 5280 5.3.1, delta CRLs only): revoked (on hold)
   * in the full CRL, and no longer.
   */
  readonly removedSerials: ReadonlySet<string>;
  /** cRLNumber (2.5.29.20), when present. */
  readonly crlNumber: bigint | undefined;
  /** A delta CRL (deltaCRLIndicator, 2.5.29.27): the cRLNumber of the full CRL it updates. */
  readonly deltaBase: bigint | undefined;
  /** The keyIdentifier of the authorityKeyIdentifier (2.5.29.35), hex: which of the issuer's keys signed it. */
  readonly authorityKeyId: string | undefined;
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

function integerHex(value: asn1js.Integer): string {
  return normalizeSerial(Buffer.from(value.valueBlock.valueHexView).toString('hex'));
}

const OID = {
  subjectKeyId: '2.5.29.14',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  deltaCrlIndicator: '2.5.29.27',
  authorityKeyId: '2.5.29.35',
} as const;
/** CRLReason removeFromCRL (RFC 5280 5.3.1). */
const REMOVE_FROM_CRL = 8;

/** The DER inside an extension's OCTET STRING, parsed; undefined when it does not parse. */
function extensionValue(
  extensions: readonly Extension[] | undefined,
  oid: string,
): asn1js.AsnType | undefined {
  const found = extensions?.find((e) => e.extnID === oid);
  if (found === undefined) return undefined;
  const parsed = modules().asn1js.fromBER(found.extnValue.valueBlock.valueHexView);
  return parsed.offset === -1 ? undefined : parsed.result;
}

function bigIntOf(value: asn1js.AsnType | undefined): bigint | undefined {
  if (!(value instanceof modules().asn1js.Integer)) return undefined;
  const hex = Buffer.from(value.valueBlock.valueHexView).toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** authorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … } */
function keyIdentifierOf(value: asn1js.AsnType | undefined): string | undefined {
  if (!(value instanceof modules().asn1js.Sequence)) return undefined;
  const first = value.valueBlock.value[0];
  if (first === undefined || first.idBlock.tagClass !== 3 || first.idBlock.tagNumber !== 0) return undefined;
  return Buffer.from((first as asn1js.Primitive).valueBlock.valueHexView).toString('hex');
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
    const parsed = modules().asn1js.fromBER(der);
    if (parsed.offset === -1) throw new Error('not DER');
    const crl = new (modules().pkijs.CertificateRevocationList)({ schema: parsed.result });
    const revoked = new Set<string>();
    const removed = new Set<string>();
    for (const entry of crl.revokedCertificates ?? []) {
      const reason = extensionValue(entry.crlEntryExtensions?.extensions, OID.reasonCode);
      const removal =
        reason instanceof modules().asn1js.Enumerated && reason.valueBlock.valueDec === REMOVE_FROM_CRL;
      (removal ? removed : revoked).add(integerHex(entry.userCertificate));
    }
    const extensions = crl.crlExtensions?.extensions;
    return {
      index,
      issuerDer: Buffer.from(crl.issuer.toSchema().toBER(false)),
      issuer: crl.issuer.typesAndValues
        .map((t) => `${DN_ATTRIBUTE_NAMES[t.type] ?? t.type}=${t.value.valueBlock.value}`)
        .join(', '),
      thisUpdate: crl.thisUpdate.value,
      nextUpdate: crl.nextUpdate?.value,
      revokedSerials: revoked,
      removedSerials: removed,
      crlNumber: bigIntOf(extensionValue(extensions, OID.crlNumber)),
      deltaBase: bigIntOf(extensionValue(extensions, OID.deltaCrlIndicator)),
      authorityKeyId: keyIdentifierOf(extensionValue(extensions, OID.authorityKeyId)),
      tbs: crl.tbsView,
      signatureOid: crl.signatureAlgorithm.algorithmId,
      signature: crl.signatureValue.valueBlock.valueHexView,
    };
  });
}

const subjectDers = new WeakMap<X509Certificate, Buffer>();
const subjectKeyIds = new WeakMap<X509Certificate, string | null>();

/** A CA certificate's subjectKeyIdentifier (2.5.29.14), hex; undefined when it has none. */
export function subjectKeyId(cert: X509Certificate): string | undefined {
  const cached = subjectKeyIds.get(cert);
  if (cached !== undefined) return cached ?? undefined;
  const value = extensionValue(modules().pkijs.Certificate.fromBER(cert.raw).extensions, OID.subjectKeyId);
  const id =
    value instanceof modules().asn1js.OctetString
      ? Buffer.from(value.valueBlock.valueHexView).toString('hex')
      : undefined;
  subjectKeyIds.set(cert, id ?? null);
  return id;
}

/** The DER of a certificate's subject or issuer name, to match CRL issuers byte for byte. */
export function nameDer(cert: X509Certificate, which: 'subject' | 'issuer'): Buffer {
  if (which === 'subject') {
    const cached = subjectDers.get(cert);
    if (cached) return cached;
  }
  const parsed = modules().pkijs.Certificate.fromBER(cert.raw);
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

/** How a CRL's signature fared against the CAs of its issuer's name. */
export type CrlSignatureVerdict = 'verified' | 'bad-signature' | 'unsupported' | 'no-issuer';

export interface CrlIssuerMatch {
  readonly verdict: CrlSignatureVerdict;
  /** The CA whose key verified the signature. */
  readonly issuer?: X509Certificate;
  /** How many CAs carry the issuer's name (more than one during a CA key rollover). */
  readonly candidates: number;
}

/**
 * Finds the CA that signed a CRL among every CA of the CRL's issuer name: during a key rollover the
 * old and the new CA share a name, so each candidate's key is tried, those whose subject key
 * identifier matches the CRL's authority key identifier first.
 */
export function findCrlIssuer(crl: RevocationList, cas: readonly X509Certificate[]): CrlIssuerMatch {
  const named = cas.filter((ca) => nameDer(ca, 'subject').equals(crl.issuerDer));
  if (named.length === 0) return { verdict: 'no-issuer', candidates: 0 };
  const keyMatch = (ca: X509Certificate) =>
    crl.authorityKeyId !== undefined && subjectKeyId(ca) === crl.authorityKeyId;
  const ordered = [...named.filter(keyMatch), ...named.filter((ca) => !keyMatch(ca))];
  let unsupported = 0;
  for (const ca of ordered) {
    const signed = crlSignedBy(crl, ca);
    if (signed === true) return { verdict: 'verified', issuer: ca, candidates: named.length };
    if (signed === undefined) unsupported++;
  }
  return {
    verdict: unsupported === ordered.length ? 'unsupported' : 'bad-signature',
    candidates: named.length,
  };
}

/** One revocation list as judged: its signature's verdict and, for a delta CRL, whether its base is here. */
export interface JudgedCrl {
  readonly list: RevocationList;
  readonly label: string;
  readonly match: CrlIssuerMatch;
  /**
   * Whether its entries count: its signature verified, or (CAs standing in for the trust store) no
   * CA of its name was known to check it with.
   */
  readonly counts: boolean;
  /** Delta CRLs only: the full CRL of the same issuer it updates, when it was given. */
  readonly base?: RevocationList;
}

export interface JudgeCrlsOptions {
  readonly now: number;
  /**
   * `true` when the CAs are the ALB trust store: a CRL none of them issued is invalid (the ALB would
   * not use it). `false` when they only stand in for it (the identity's own chain): such a CRL is
   * unverified, a warning.
   */
  readonly authoritative: boolean;
}

/**
 * The list-level judgement of revocation lists (signature against every CA of the issuer's name,
 * freshness, delta CRLs and their base), shared by inspectIdentity and the probe's revocation.crl.
 */
export function judgeCrls(
  lists: readonly RevocationList[],
  cas: readonly X509Certificate[],
  options: JudgeCrlsOptions,
): { readonly judged: JudgedCrl[]; readonly findings: IdentityFinding[] } {
  const findings: IdentityFinding[] = [];
  const judged: JudgedCrl[] = [];
  for (const list of lists) {
    const label = `CRL #${list.index + 1}${list.deltaBase === undefined ? '' : ' (delta)'} (issuer ${list.issuer})`;
    const match = findCrlIssuer(list, cas);
    const base =
      list.deltaBase === undefined
        ? undefined
        : lists.find(
            (l) =>
              l.deltaBase === undefined &&
              l.issuerDer.equals(list.issuerDer) &&
              l.crlNumber !== undefined &&
              l.crlNumber >= (list.deltaBase ?? 0n),
          );
    const counts = match.verdict === 'verified' || (match.verdict === 'no-issuer' && !options.authoritative);
    judged.push({ list, label, match, counts, ...(base === undefined ? {} : { base }) });
    const facts = { crl: list.index, issuer: list.issuer, candidates: match.candidates };
    if (match.verdict === 'no-issuer') {
      findings.push(
        options.authoritative
          ? {
              code: 'CRL_INVALID',
              severity: 'error',
              message: `${label}: no CA in the trust store has this issuer name`,
              details: facts,
            }
          : {
              code: 'CRL_UNVERIFIED',
              severity: 'warning',
              message: `${label}: signature not verified: no CA of this name is known to this run (no trust store given, and the certificate chain does not hold it)`,
              details: facts,
            },
      );
      // The ALB would not use a CRL no trust-store CA issued: nothing more to say about it.
      if (options.authoritative) continue;
    } else if (match.verdict === 'bad-signature' && !options.authoritative) {
      // Only stand-ins were tried: the trust store may hold another key of this name (a rollover).
      findings.push({
        code: 'CRL_UNVERIFIED',
        severity: 'warning',
        message: `${label}: signature not verified: ${match.candidates === 1 ? 'the CA of this name known to this run did not sign it' : `none of the ${match.candidates} CAs of this name known to this run signed it`} (another key of that name, after a CA key rollover?)`,
        details: { ...facts, badSignature: true },
      });
      continue;
    } else if (match.verdict !== 'verified') {
      findings.push({
        code: 'CRL_INVALID',
        severity: 'error',
        message: `${label}: ${match.verdict === 'unsupported' ? 'signature algorithm not supported' : `signature does not verify with ${match.candidates === 1 ? 'the issuing CA' : `any of the ${match.candidates} CAs of that name`}`}`,
        details: { ...facts, badSignature: match.verdict === 'bad-signature' },
      });
      continue;
    }
    if (list.deltaBase !== undefined && base === undefined) {
      findings.push({
        code: 'CRL_INCOMPLETE',
        severity: 'warning',
        message: `${label}: a delta CRL updating full CRL number ${list.deltaBase}, which was not given: revocations listed only in the full CRL are not known`,
        details: { ...facts, deltaBase: String(list.deltaBase) },
      });
    }
    if (list.nextUpdate !== undefined && list.nextUpdate.getTime() < options.now) {
      findings.push({
        code: 'CRL_STALE',
        severity: 'warning',
        message: `${label}: nextUpdate ${list.nextUpdate.toISOString()} has passed; the ALB keeps using it until the trust store is updated`,
        details: { crl: list.index, nextUpdate: list.nextUpdate.toISOString() },
      });
    }
  }
  return { judged, findings };
}

/**
 * Whether the judged lists revoke `serial` of a certificate whose issuer is `issuer` (its name DER,
 * and the issuing CA when known): a full CRL lists it and no delta of it removes it, or a delta lists
 * it. A list signed by another key of the same name (a rolled-over CA) does not apply.
 */
export function revokedBy(
  judged: readonly JudgedCrl[],
  serial: string,
  issuerDer: Buffer,
  issuingCa: X509Certificate | undefined,
): JudgedCrl | undefined {
  const applies = (j: JudgedCrl) =>
    j.counts &&
    j.list.issuerDer.equals(issuerDer) &&
    (issuingCa === undefined ||
      j.match.issuer === undefined ||
      j.match.issuer.fingerprint256 === issuingCa.fingerprint256);
  const relevant = judged.filter(applies);
  const deltas = relevant.filter((j) => j.list.deltaBase !== undefined);
  const listing = relevant.find(
    (j) =>
      j.list.revokedSerials.has(serial) &&
      (j.list.deltaBase !== undefined ||
        !deltas.some((d) => d.base === j.list && d.list.removedSerials.has(serial))),
  );
  return listing;
}

/**
 * judgeCrls from PEM: the CRL inputs (one or more lists each) and the CA bundle that may have
 * issued them. Throws a plain Error naming the input that does not parse.
 */
export function judgeCrlPems(
  crlPems: readonly string[],
  caPem: string,
  options: JudgeCrlsOptions,
): { readonly judged: JudgedCrl[]; readonly findings: IdentityFinding[] } {
  const lists = crlPems.flatMap((pem, index) => parseCrls(pem, index));
  const cas = caPem.includes('-----BEGIN ')
    ? splitPemBlocks(caPem, 'CA bundle', 'CA bundle')
        .filter((b) => b.label === 'CERTIFICATE')
        .map((b) => new X509Certificate(b.der))
    : [];
  return judgeCrls(lists, cas, options);
}
