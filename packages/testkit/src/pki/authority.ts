// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { TestkitError } from '../errors.ts';
import { type Issued, toIssued } from './issued.ts';
import { defaultKeySpec, generateKeys, type KeySpec, signingAlgorithmFor } from './key-spec.ts';
import { derToPem } from './pem.ts';
import { randomSerialHex } from './serial.ts';
import type { CryptoKeyPair } from './webcrypto-types.ts';

export type ExtendedKeyUsageName = 'clientAuth' | 'serverAuth';

interface IssueServerFields {
  dnsNames?: string[];
  ips?: string[];
  /** @default the first DNS name, else the first IP, else 'localhost' */
  commonName?: string;
  /** @default one hour ago (tolerates clock skew between processes) */
  notBefore?: Date;
  /** @default one year after now */
  notAfter?: Date;
}

interface IssueClientFields {
  /** @default 'mtls-link test client' */
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** @default ['clientAuth'] */
  extendedKeyUsages?: ExtendedKeyUsageName[];
}

interface IssueIntermediateFields {
  commonName?: string;
}

export interface CrlOptions {
  /** Certificates to list as revoked (by serial number). */
  revoked?: Issued[];
  /** @default one minute ago */
  thisUpdate?: Date;
  /** @default seven days after thisUpdate */
  nextUpdate?: Date;
  /** The cRLNumber. @default seconds since the epoch at thisUpdate (so a newer CRL has a higher one) */
  crlNumber?: number;
  /** Makes a delta CRL (deltaCRLIndicator) updating the full CRL with this cRLNumber. */
  deltaOf?: number;
  /** Entries with reason removeFromCRL: no longer revoked since the full CRL (delta CRLs). */
  removed?: Issued[];
}

/**
 * The key of a new certificate: a spec to generate one (default EC P-256), or an existing key pair,
 * e.g. to re-issue a certificate for the same key as a renewal does.
 */
export type KeyChoice = { key?: KeySpec; keys?: never } | { keys: CryptoKeyPair; key?: never };

export type IssueServerOptions = IssueServerFields & KeyChoice;
export type IssueClientOptions = IssueClientFields & KeyChoice;
export type IssueIntermediateOptions = IssueIntermediateFields & KeyChoice;
export type RootCaOptions = RootCaFields & KeyChoice;

export interface CertificateAuthority extends Issued {
  issueServer(opts: IssueServerOptions): Promise<Issued>;
  issueClient(opts?: IssueClientOptions): Promise<Issued>;
  issueIntermediate(opts?: IssueIntermediateOptions): Promise<CertificateAuthority>;
  /** A CRL signed by this CA, PEM. */
  crl(opts?: CrlOptions): Promise<string>;
}

interface RootCaFields {
  /** @default 'mtls-link test root CA' */
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}

const hour = 3_600_000;
const day = 24 * hour;
const organisation = 'mtls-link testkit';

let providerSet = false;
function useNodeWebCrypto(): void {
  if (!providerSet) {
    x509.cryptoProvider.set(globalThis.crypto);
    providerSet = true;
  }
}

function name(commonName: string): x509.JsonName {
  return [{ CN: [commonName] }, { O: [organisation] }];
}

function checkValidity(notBefore: Date, notAfter: Date, what: string): void {
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new TestkitError('PKI_VALIDITY_INVALID', `${what}: notBefore/notAfter must be valid dates`);
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new TestkitError('PKI_VALIDITY_INVALID', `${what}: notAfter must be later than notBefore`);
  }
}

/** Creates a self-signed root CA (valid from one hour ago for ten years unless told otherwise). */
export async function createRootCa(opts: RootCaOptions = {}): Promise<CertificateAuthority> {
  useNodeWebCrypto();
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - hour);
  const notAfter = opts.notAfter ?? new Date(now + 3650 * day);
  checkValidity(notBefore, notAfter, 'createRootCa');
  const keys = await keysFor(opts);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: name(opts.commonName ?? 'mtls-link test root CA'),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return new Authority(await toIssued(cert, keys, ''));
}

class Authority implements CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  readonly chainPem: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly serialHex: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;

  constructor(issued: Issued) {
    this.certPem = issued.certPem;
    this.keyPem = issued.keyPem;
    this.chainPem = issued.chainPem;
    this.cert = issued.cert;
    this.keys = issued.keys;
    this.serialHex = issued.serialHex;
    this.subject = issued.subject;
    this.notBefore = issued.notBefore;
    this.notAfter = issued.notAfter;
  }

  async issueServer(opts: IssueServerOptions): Promise<Issued> {
    const dnsNames = opts.dnsNames ?? [];
    const ips = opts.ips ?? [];
    if (dnsNames.length === 0 && ips.length === 0) {
      throw new TestkitError('PKI_SERVER_NAMES_MISSING', 'issueServer: give at least one of dnsNames or ips');
    }
    const keys = await keysFor(opts);
    const sans: x509.JsonGeneralName[] = [
      ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ];
    return this.sign({
      what: 'issueServer',
      commonName: opts.commonName ?? dnsNames[0] ?? ips[0] ?? 'localhost',
      keys,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(leafKeyUsage(keys), true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(sans),
      ],
    });
  }

  async issueClient(opts: IssueClientOptions = {}): Promise<Issued> {
    const usages = opts.extendedKeyUsages ?? ['clientAuth'];
    const keys = await keysFor(opts);
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafKeyUsage(keys), true),
    ];
    if (usages.length > 0) {
      extensions.push(
        new x509.ExtendedKeyUsageExtension(usages.map((usage) => x509.ExtendedKeyUsage[usage])),
      );
    }
    return this.sign({
      what: 'issueClient',
      commonName: opts.commonName ?? 'mtls-link test client',
      keys,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      extensions,
    });
  }

  async issueIntermediate(opts: IssueIntermediateOptions = {}): Promise<CertificateAuthority> {
    const keys = await keysFor(opts);
    const issued = await this.sign({
      what: 'issueIntermediate',
      commonName: opts.commonName ?? 'mtls-link test intermediate CA',
      keys,
      notBefore: undefined,
      // An intermediate must not outlive its issuer, or strict verifiers refuse the chain.
      notAfter: new Date(Math.min(this.notAfter.getTime(), Date.now() + 1825 * day)),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new Authority(issued);
  }

  async crl(opts: CrlOptions = {}): Promise<string> {
    const thisUpdate = opts.thisUpdate ?? new Date(Date.now() - 60_000);
    const nextUpdate = opts.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * day);
    checkValidity(thisUpdate, nextUpdate, 'crl (thisUpdate/nextUpdate)');
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.cert.subjectName,
      thisUpdate,
      nextUpdate,
      signingKey: this.keys.privateKey,
      signingAlgorithm: signingAlgorithmFor(this.keys.privateKey),
      extensions: [
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
        integerExtension('2.5.29.20', opts.crlNumber ?? Math.max(1, Math.floor(thisUpdate.getTime() / 1000))),
        // RFC 5280 5.2.4: critical, so a reader that does not know deltas refuses the list.
        ...(opts.deltaOf === undefined ? [] : [integerExtension('2.5.29.27', opts.deltaOf, true)]),
      ],
      entries: [
        ...(opts.revoked ?? []).map((revoked) => ({
          serialNumber: revoked.serialHex,
          revocationDate: new Date(Math.min(thisUpdate.getTime(), Date.now())),
          reason: x509.X509CrlReason.keyCompromise,
        })),
        ...(opts.removed ?? []).map((removed) => ({
          serialNumber: removed.serialHex,
          revocationDate: new Date(Math.min(thisUpdate.getTime(), Date.now())),
          reason: x509.X509CrlReason.removeFromCRL,
        })),
      ],
    });
    // OpenSSL (Node, nginx, HAProxy) reads only the `X509 CRL` label, not the `CRL` @peculiar/x509 writes.
    return derToPem(new Uint8Array(crl.rawData), 'X509 CRL');
  }

  private async sign(args: {
    what: string;
    commonName: string;
    keys: CryptoKeyPair;
    notBefore: Date | undefined;
    notAfter: Date | undefined;
    extensions: x509.Extension[];
  }): Promise<Issued> {
    const now = Date.now();
    const notBefore = args.notBefore ?? new Date(now - hour);
    const notAfter = args.notAfter ?? new Date(Math.max(now + 365 * day, notBefore.getTime() + day));
    checkValidity(notBefore, notAfter, args.what);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject: name(args.commonName),
      issuer: this.cert.subjectName,
      notBefore,
      notAfter,
      publicKey: args.keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: signingAlgorithmFor(this.keys.privateKey),
      extensions: [
        ...args.extensions,
        await x509.SubjectKeyIdentifierExtension.create(args.keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
      ],
    });
    return toIssued(cert, args.keys, this.certPem + this.chainPem);
  }
}

function keysFor(choice: KeyChoice): Promise<CryptoKeyPair> {
  return choice.keys ? Promise.resolve(choice.keys) : generateKeys(choice.key ?? defaultKeySpec);
}

function leafKeyUsage(keys: CryptoKeyPair): x509.KeyUsageFlags {
  // RSA key exchange (TLS 1.2 non-ECDHE suites) needs keyEncipherment; ECDSA keys only sign.
  return keys.publicKey.algorithm.name === 'ECDSA'
    ? x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
}

/** An extension holding one INTEGER: cRLNumber (2.5.29.20), deltaCRLIndicator (2.5.29.27). */
function integerExtension(oid: string, value: number, critical = false): x509.Extension {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return new x509.Extension(oid, critical, new Uint8Array([0x02, bytes.length, ...bytes]));
}
