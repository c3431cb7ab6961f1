import { X509Certificate } from 'node:crypto';
import type { ClientIdentity } from '@mtls-link/sdk';
import type { IdentityInspection } from '@mtls-link/sdk/diagnostics';
import { normalizeSerial } from '@mtls-link/sdk/diagnostics';
import { judgeIdentity, REVOCATION_FINDINGS } from './identity-judgement.ts';

const ekuNames: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/** ISO time without milliseconds, as the ALB writes validity in X-Amzn-Mtls-Clientcert-Validity. */
const albTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** As the ALB sends it in X-Amzn-Mtls-Clientcert-Validity. */
const albValidity = (notBefore: Date, notAfter: Date) =>
  `NotBefore=${albTime(notBefore)};NotAfter=${albTime(notAfter)}`;

function chainFacts(chain: readonly X509Certificate[]): IdentityDescription['chain'] {
  return chain.map((c) => ({
    subject: c.subject.replaceAll('\n', ', '),
    issuer: c.issuer.replaceAll('\n', ', '),
    notAfter: c.validToDate.toISOString(),
  }));
}

/** What `mtls-probe cert` prints: the identity's public facts and its findings. No key material. */
export interface IdentityDescription {
  readonly source: string;
  readonly version?: string;
  readonly subject: string;
  readonly issuer: string;
  /** As the ALB sends it in X-Amzn-Mtls-Clientcert-Serial-Number: upper-case hex, no colons. */
  readonly serial: string;
  readonly fingerprint256: string;
  /** As the ALB sends it in X-Amzn-Mtls-Clientcert-Validity. */
  readonly validity: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly key: { readonly type: string; readonly bits?: number; readonly curve?: string };
  readonly extendedKeyUsage: readonly string[];
  readonly chain: readonly { subject: string; issuer: string; notAfter: string }[];
  /** null when only certificates were given: without the key, the SDK's inspection cannot run. */
  readonly predictedAlbStatus: IdentityInspection['predictedAlbStatus'] | null;
  readonly findings: readonly { code: string; severity: 'error' | 'warning'; message: string }[];
}

function ekuOf(cert: X509Certificate): string[] {
  // node:crypto names the extended key usage OIDs `keyUsage`; undefined means no EKU extension.
  const oids = (cert as unknown as { keyUsage?: string[] }).keyUsage;
  return oids === undefined ? ['(no EKU extension: any purpose)'] : oids.map((oid) => ekuNames[oid] ?? oid);
}

export function describeIdentity(
  identity: ClientIdentity,
  options: { trustStorePem?: string; crlPems?: readonly string[]; now?: Date; warnDays?: number } = {},
): IdentityDescription {
  const { inspection, revocation } = judgeIdentity(identity, {
    trustStorePem: options.trustStorePem,
    crlPems: options.crlPems ?? [],
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.warnDays === undefined ? {} : { warnDays: options.warnDays }),
  });
  const findings = [...inspection.findings.filter((f) => !REVOCATION_FINDINGS.has(f.code)), ...revocation];
  return {
    source: identity.source,
    ...(identity.version === undefined ? {} : { version: identity.version }),
    subject: identity.subject,
    issuer: identity.issuer,
    serial: identity.serialHex,
    fingerprint256: identity.fingerprint256,
    validity: albValidity(identity.notBefore, identity.notAfter),
    notBefore: identity.notBefore.toISOString(),
    notAfter: identity.notAfter.toISOString(),
    daysLeft: Math.round(inspection.daysLeft * 10) / 10,
    key: {
      type: identity.keyType,
      ...(identity.keyBits === undefined ? {} : { bits: identity.keyBits }),
      ...(identity.curve === undefined ? {} : { curve: identity.curve }),
    },
    extendedKeyUsage: ekuOf(identity.leaf),
    chain: chainFacts(identity.chain),
    predictedAlbStatus: inspection.predictedAlbStatus,
    findings: findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
  };
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The public facts of certificates alone (no private key at hand): the first certificate is taken
 * as the leaf, the others as its chain. Returns undefined when the text holds no certificate.
 */
export function describeCertificates(pem: string, source: string): IdentityDescription | undefined {
  const certs = (pem.match(pemCertificate) ?? []).map((block) => new X509Certificate(block));
  const [leaf, ...rest] = certs;
  if (leaf === undefined) return undefined;
  // As the SDK's reader does (and the ALB sees it): self-signed roots are not part of the presented chain.
  const chain = rest.filter((c) => !(c.subject === c.issuer && c.verify(c.publicKey)));
  const notBefore = leaf.validFromDate;
  const notAfter = leaf.validToDate;
  const details = leaf.publicKey.asymmetricKeyDetails;
  const type = leaf.publicKey.asymmetricKeyType ?? 'other';
  return {
    source,
    subject: leaf.subject.replaceAll('\n', ', '),
    issuer: leaf.issuer.replaceAll('\n', ', '),
    serial: normalizeSerial(leaf.serialNumber),
    fingerprint256: leaf.fingerprint256,
    validity: albValidity(notBefore, notAfter),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.round(((notAfter.getTime() - Date.now()) / 86_400_000) * 10) / 10,
    key: {
      type,
      ...(details?.modulusLength === undefined ? {} : { bits: details.modulusLength }),
      ...(details?.namedCurve === undefined ? {} : { curve: details.namedCurve }),
    },
    extendedKeyUsage: ekuOf(leaf),
    chain: chainFacts(chain),
    predictedAlbStatus: null,
    findings: [],
  };
}

export function renderIdentityText(d: IdentityDescription): string {
  const rows: [string, string][] = [
    ['source', `${d.source}${d.version === undefined ? '' : ` (version ${d.version})`}`],
    ['subject', d.subject],
    ['issuer', d.issuer],
    ['serial', `${d.serial}  (X-Amzn-Mtls-Clientcert-Serial-Number)`],
    ['validity', `${d.validity}  (${d.daysLeft} days left)`],
    [
      'key',
      `${d.key.type.toUpperCase()}${d.key.bits === undefined ? '' : ` ${d.key.bits}`}${d.key.curve === undefined ? '' : ` ${d.key.curve}`}`,
    ],
    ['EKU', d.extendedKeyUsage.join(', ')],
    ['sha256', d.fingerprint256],
    ...d.chain.map((c, i): [string, string] => [
      i === 0 ? 'chain' : '',
      `${i + 1}. ${c.subject} (issuer ${c.issuer}, until ${c.notAfter})`,
    ]),
    [
      'ALB verdict',
      d.predictedAlbStatus === null
        ? 'not judged: give the private key (--key) to inspect the identity'
        : `tls_verify_status would be ${d.predictedAlbStatus}`,
    ],
    ...(d.findings.length === 0
      ? [['findings', 'none'] as [string, string]]
      : d.findings.map((f, i): [string, string] => [
          i === 0 ? 'findings' : '',
          `${f.severity} ${f.code}: ${f.message}`,
        ])),
  ];
  if (d.chain.length === 0) rows.splice(8, 0, ['chain', '(leaf only)']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
