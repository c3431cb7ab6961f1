import { type KeyObject, X509Certificate } from 'node:crypto';
import { IdentityError } from '../../errors/index.ts';
import { pemInvalid } from '../pem.ts';

export interface FieldCertificate {
  readonly cert: X509Certificate;
  readonly field: string;
}

export function parseCertificate(der: Uint8Array, field: string, source: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (error) {
    throw pemInvalid(
      field,
      source,
      'a CERTIFICATE block is not a valid X.509 certificate',
      {},
      new Error(String((error as Error)?.message).slice(0, 200)),
    );
  }
  // OpenSSL accepts some malformed times that no date can hold (found by the property test).
  if (Number.isNaN(cert.validFromDate.getTime()) || Number.isNaN(cert.validToDate.getTime())) {
    throw pemInvalid(field, source, "a CERTIFICATE block's validity dates do not parse");
  }
  return cert;
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && signedBy(cert, cert);
}

/** `issuer` issued `cert`: names line up and the signature verifies. */
export function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/**
 * The leaf is the certificate whose public key matches the private key (several: the latest
 * issued). With `lenient`, a certificate that matches nothing still yields a leaf (the one no
 * other certificate was issued by) so that the probe can report the mismatch as a finding.
 */
export function pickLeaf(
  certs: readonly FieldCertificate[],
  key: KeyObject,
  source: string,
  lenient: boolean,
): { leaf: FieldCertificate; keyMatches: boolean } {
  const matching = certs.filter((c) => keyMatches(c.cert, key));
  if (matching.length > 0) {
    const leaf = matching.reduce((a, b) => (b.cert.validFromDate > a.cert.validFromDate ? b : a));
    return { leaf, keyMatches: true };
  }
  if (lenient) {
    const issuesNothing = certs.find((c) => !certs.some((o) => o !== c && signedBy(o.cert, c.cert)));
    const leaf = issuesNothing ?? certs[0];
    if (leaf) return { leaf, keyMatches: false };
  }
  const fields = [...new Set(certs.map((c) => c.field))];
  throw new IdentityError(
    'CLIENT_CERT_KEY_MISMATCH',
    `${source}: the private key matches none of the ${certs.length} certificate(s) in ${fields.join(', ')}`,
    { details: { source, fields, certificates: certs.length } },
  );
}

/** The issuers above `leaf`, leaf-to-root, found by subject/issuer and signature. */
export function orderChain(leaf: X509Certificate, pool: readonly X509Certificate[]): X509Certificate[] {
  const path: X509Certificate[] = [];
  const remaining = pool.filter((c) => c.fingerprint256 !== leaf.fingerprint256);
  let current = leaf;
  while (!isSelfSigned(current)) {
    const index = remaining.findIndex((c) => signedBy(current, c));
    if (index === -1) break;
    const [issuer] = remaining.splice(index, 1);
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  return path;
}
