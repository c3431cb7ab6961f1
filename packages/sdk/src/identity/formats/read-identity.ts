import type { KeyObject } from 'node:crypto';
import { IdentityError } from '../../errors/index.ts';
import {
  chainDepthFindings,
  findingError,
  keyTypeFindings,
  presentedDepth,
  purposeFindings,
  validityFindings,
} from '../alb/rules.ts';
import { bytesAsText, decodeBase64Text, hasPemBlock, pemInvalid, splitPemBlocks, toPem } from '../pem.ts';
import { normalizeSerial } from '../serial.ts';
import { guardIdentity } from '../summary.ts';
import type { ClientIdentity, IdentityMaterial, MaterialPart, ReadIdentityOptions } from '../types.ts';
import { asn1Readers, looksLikePkcs12 } from './asn1-readers.ts';
import { type FieldCertificate, isSelfSigned, orderChain, parseCertificate, pickLeaf } from './chain.ts';
import { describeKey, PRIVATE_KEY_LABELS, readPrivateKey } from './private-key.ts';

/** Secrets Manager holds at most 64 KiB; anything far larger is not an identity. */
const MAX_MATERIAL_LENGTH = 1024 * 1024;

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);

// JSON field names, compared lower-cased with `_`, `-` and `.` removed, so `tls.crt`, `CERTIFICATE_PEM`,
// `privateKey` and `private_key` all land where they belong.
const FIELD_ROLES: Record<string, MaterialPart['role'] | 'passphrase'> = {
  certificate: 'cert',
  cert: 'cert',
  crt: 'cert',
  tlscrt: 'cert',
  certificatepem: 'cert',
  privatekey: 'key',
  key: 'key',
  tlskey: 'key',
  privatekeypem: 'key',
  certificatechain: 'chain',
  chain: 'chain',
  certificatechainpem: 'chain',
  ca: 'ca',
  cacrt: 'ca',
  passphrase: 'passphrase',
  password: 'passphrase',
  pfx: 'pfx',
  pkcs12: 'pfx',
  p12: 'pfx',
};

export function fieldRole(name: string): MaterialPart['role'] | 'passphrase' | undefined {
  const normalized = name.toLowerCase().replace(/[-_.]/g, '');
  // hasOwn: a field named "constructor" must not find Object.prototype's.
  return Object.hasOwn(FIELD_ROLES, normalized) ? FIELD_ROLES[normalized] : undefined;
}

function formatUnknown(source: string, why: string, details: Record<string, unknown> = {}): IdentityError {
  return new IdentityError('IDENTITY_FORMAT_UNKNOWN', `${source}: ${why}`, {
    details: { source, ...details },
  });
}

/**
 * Reads a client identity from whatever a source delivered, detecting the format: JSON with PEM
 * fields (several naming families), a PEM bundle, PKCS#12 bytes, or base64 of any of these.
 * Throws an `IdentityError` naming the source and field; never quotes the material.
 *
 * Accepted shapes (field names compared case-insensitively, ignoring `_`, `-` and `.`):
 * ```text
 * {"certificate": "-----BEGIN CERTIFICATE-----…", "privateKey": "-----BEGIN PRIVATE KEY-----…",
 *  "certificateChain": "…", "passphrase": "…", "ca": "…"}
 * {"cert": "…", "key": "…", "chain": "…"}
 * {"tls.crt": "…", "tls.key": "…", "ca.crt": "…"}                  values may also be base64 of PEM
 * {"Certificate": "…", "CertificateChain": "…", "PrivateKey": "-----BEGIN ENCRYPTED PRIVATE KEY-----…",
 *  "Passphrase": "…"}                                                ACM ExportCertificate
 * {"CERTIFICATE_PEM": "…", "CERTIFICATE_CHAIN_PEM": "…", "PRIVATE_KEY_PEM": "…"}   AWS rotation sample
 * {"pfx": "<base64 PKCS#12>", "passphrase": "…"}
 * -----BEGIN PRIVATE KEY-----… -----BEGIN CERTIFICATE-----… (a PEM bundle, blocks in any order)
 * SecretBinary: PKCS#12 (passphrase from the option or, via fromSecretsManager, a second secret)
 * ```
 * Keys: PKCS#8, PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`), encrypted PKCS#8, legacy
 * OpenSSL-encrypted PEM. PEM may carry literal `\n` escapes or CRLF. A passphrase field in the
 * secret wins over the `passphrase` option. The leaf is the certificate matching the key; the chain
 * is ordered leaf to root by signature and self-signed roots are left out of `chainPem`.
 */
export function readIdentity(material: IdentityMaterial, options: ReadIdentityOptions = {}): ClientIdentity {
  const { source } = material;
  const { parts, passphrase } = detectParts(material);
  return readIdentityParts(
    parts,
    { source, passphrase: passphrase ?? material.passphrase, version: material.version },
    options,
  );
}

/** The parts of a secret's material by role (JSON fields, a PEM bundle, PKCS#12 bytes), unread. */
export function detectParts(material: IdentityMaterial): { parts: MaterialPart[]; passphrase?: string } {
  const { source } = material;
  if (material.secretBinary !== undefined) {
    const bytes = material.secretBinary;
    if (!(bytes instanceof Uint8Array)) throw formatUnknown(source, 'SecretBinary is not bytes');
    if (bytes.length > MAX_MATERIAL_LENGTH)
      throw formatUnknown(source, `SecretBinary is larger than ${MAX_MATERIAL_LENGTH} bytes`);
    const text = bytesAsText(bytes);
    if (text !== undefined) return detectText(text, 'SecretBinary', source, 0);
    if (looksLikePkcs12(bytes)) return { parts: [{ field: 'SecretBinary', role: 'pfx', bytes }] };
    throw formatUnknown(source, 'SecretBinary is neither PKCS#12 nor PEM/JSON text');
  }
  if (material.secretString !== undefined) {
    if (typeof material.secretString !== 'string')
      throw formatUnknown(source, 'SecretString is not a string');
    return detectText(material.secretString, 'SecretString', source, 0);
  }
  throw formatUnknown(source, 'the secret holds neither SecretString nor SecretBinary');
}

function detectText(
  text: string,
  field: string,
  source: string,
  depth: number,
): { parts: MaterialPart[]; passphrase?: string } {
  if (text.length > MAX_MATERIAL_LENGTH)
    throw formatUnknown(source, `${field} is longer than ${MAX_MATERIAL_LENGTH} characters`);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return jsonParts(trimmed, field, source);
  if (hasPemBlock(trimmed)) return { parts: [{ field, role: 'bundle', text: trimmed }] };
  const decoded = depth === 0 ? decodeBase64Text(trimmed) : undefined;
  if (decoded) {
    const inner = bytesAsText(decoded);
    if (inner !== undefined) return detectText(inner, `${field} (base64)`, source, depth + 1);
    if (looksLikePkcs12(decoded))
      return { parts: [{ field: `${field} (base64)`, role: 'pfx', bytes: decoded }] };
  }
  throw formatUnknown(source, `${field} is neither JSON with PEM fields, a PEM bundle, nor base64 of one`);
}

function jsonParts(
  text: string,
  field: string,
  source: string,
): { parts: MaterialPart[]; passphrase?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The SyntaxError is not kept: V8 quotes the input around the error position.
    throw formatUnknown(source, `${field} starts like JSON but does not parse as JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatUnknown(source, `${field} is JSON but not an object`);
  }
  const parts: MaterialPart[] = [];
  let passphrase: string | undefined;
  for (const [name, raw] of Object.entries(value)) {
    const role = fieldRole(name);
    if (role === undefined || raw === null || raw === '') continue;
    if (typeof raw !== 'string') {
      throw new IdentityError(
        'IDENTITY_PEM_INVALID',
        `${source}: field ${name} holds a ${Array.isArray(raw) ? 'list' : typeof raw}, expected a string`,
        { details: { source, field: name } },
      );
    }
    if (role === 'passphrase') passphrase = raw;
    else parts.push({ field: name, role, text: raw });
  }
  if (parts.length === 0) {
    // Only names that look like field names are echoed: a mangled secret can hold key text in a key.
    const names = Object.keys(value)
      .slice(0, 20)
      .map((name) => (/^[\w.-]{1,20}$/.test(name) ? name : '(long or unprintable name)'));
    throw formatUnknown(
      source,
      `${field} is JSON without a known certificate or key field (found: ${names.join(', ') || 'none'}; expected e.g. certificate/privateKey, cert/key, tls.crt/tls.key, CERTIFICATE_PEM/PRIVATE_KEY_PEM)`,
      { fields: names },
    );
  }
  return passphrase === undefined ? { parts } : { parts, passphrase };
}

interface PartsContext {
  readonly source: string;
  readonly passphrase: string | undefined;
  readonly version: string | undefined;
}

/** Reads named parts (JSON fields, files, env vars) into one identity. */
export function readIdentityParts(
  parts: readonly MaterialPart[],
  context: PartsContext,
  options: ReadIdentityOptions = {},
): ClientIdentity {
  const { source, passphrase } = context;
  const keys: { key: KeyObject; field: string }[] = [];
  const certs: FieldCertificate[] = [];
  const seen = new Set<string>();
  const addCert = (der: Uint8Array, field: string) => {
    const cert = parseCertificate(der, field, source);
    if (seen.has(cert.fingerprint256)) return;
    seen.add(cert.fingerprint256);
    certs.push({ cert, field });
  };

  for (const part of parts) {
    if (part.role === 'pfx') {
      const bytes = part.bytes ?? (part.text === undefined ? undefined : decodeBase64Text(part.text));
      if (!bytes || !looksLikePkcs12(bytes))
        throw pemInvalid(part.field, source, 'expected base64 PKCS#12 bytes');
      const where = { field: part.field, source };
      const contents = asn1Readers().pkcs12.readPkcs12(bytes, passphrase, where);
      for (const key of contents.keys) keys.push({ key, field: part.field });
      for (const der of contents.certificates) addCert(der, part.field);
      continue;
    }
    const text = pemText(part, source);
    for (const block of splitPemBlocks(text, part.field, source)) {
      if (CERTIFICATE_LABELS.has(block.label)) addCert(block.der, part.field);
      else if (PRIVATE_KEY_LABELS.has(block.label))
        keys.push({ key: readPrivateKey(block, passphrase, source), field: part.field });
    }
  }

  const fields = parts.map((p) => p.field);
  const [first, ...others] = keys;
  if (!first) {
    throw new IdentityError(
      'IDENTITY_FIELD_MISSING',
      `${source}: no private key found in ${fields.join(', ')}`,
      {
        details: { source, fields, missing: 'privateKey' },
      },
    );
  }
  if (others.length > 0) {
    throw formatUnknown(
      source,
      `found ${keys.length} private keys (in ${keys.map((k) => k.field).join(', ')}); store exactly one`,
    );
  }
  if (certs.length === 0) {
    throw new IdentityError(
      'IDENTITY_FIELD_MISSING',
      `${source}: no certificate found in ${fields.join(', ')}`,
      {
        details: { source, fields, missing: 'certificate' },
      },
    );
  }

  const validate = options.validate ?? true;
  const { leaf } = pickLeaf(certs, first.key, source, !validate);
  const path = orderChain(
    leaf.cert,
    certs.map((c) => c.cert),
  );
  const chain = path.filter((c) => !isSelfSigned(c));
  const keyFacts = describeKey(first.key);
  const notBefore = leaf.cert.validFromDate;
  const notAfter = leaf.cert.validToDate;

  if (validate) {
    const now = options.now === undefined ? Date.now() : Number(options.now);
    const findings = [
      ...keyTypeFindings(keyFacts, source),
      ...purposeFindings(leaf.cert, source),
      ...validityFindings({ notBefore, notAfter }, now, 0, source),
      ...chainDepthFindings(presentedDepth(isSelfSigned(leaf.cert), chain), source),
    ];
    const error = findings.find((f) => f.severity === 'error');
    if (error) throw findingError(error, source);
  }

  const certPem = toPem('CERTIFICATE', leaf.cert.raw);
  return guardIdentity({
    certPem,
    chainPem: chain.map((c) => toPem('CERTIFICATE', c.raw)).join(''),
    keyPem: first.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey: first.key,
    leaf: leaf.cert,
    chain,
    notBefore,
    notAfter,
    fingerprint256: leaf.cert.fingerprint256,
    serialHex: normalizeSerial(leaf.cert.serialNumber),
    subject: leaf.cert.subject.replaceAll('\n', ', '),
    issuer: leaf.cert.issuer.replaceAll('\n', ', '),
    ...keyFacts,
    source,
    ...(context.version === undefined ? {} : { version: context.version }),
  });
}

function pemText(part: MaterialPart, source: string): string {
  if (part.text === undefined) {
    const text = part.bytes ? bytesAsText(part.bytes) : undefined;
    if (text === undefined) throw pemInvalid(part.field, source, 'holds no PEM text');
    return text;
  }
  if (part.text.length > MAX_MATERIAL_LENGTH) {
    throw pemInvalid(part.field, source, `is longer than ${MAX_MATERIAL_LENGTH} characters`);
  }
  if (hasPemBlock(part.text)) return part.text;
  const decoded = decodeBase64Text(part.text);
  const inner = decoded ? bytesAsText(decoded) : undefined;
  if (inner !== undefined && hasPemBlock(inner)) return inner;
  throw pemInvalid(part.field, source, 'holds no PEM block (expected -----BEGIN ...-----, or base64 of PEM)');
}
