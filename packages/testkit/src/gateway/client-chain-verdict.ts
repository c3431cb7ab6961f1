import { type ParsedCertificate, parseCertificate, pemCertificatesToDer } from './certificate.ts';
import {
  type CompiledTrustStore,
  compileTrustStore,
  type ParsedCrl,
  type TrustStoreInput,
  verifySignedBytes,
} from './trust-store.ts';

/** The `Failed:<code>` codes of the ALB connection log's `tls_verify_status`. */
export type AlbClientCertFailure =
  | 'ClientCertMaxChainDepthExceeded'
  | 'ClientCertMaxSizeExceeded'
  | 'ClientCertCrlHit'
  | 'ClientCertCrlProcessingError'
  | 'ClientCertUntrusted'
  | 'ClientCertNotYetValid'
  | 'ClientCertExpired'
  | 'ClientCertTypeUnsupported'
  | 'ClientCertInvalid'
  | 'ClientCertPurposeInvalid'
  | 'ClientCertRejected'
  | 'UnmappedConnectionError'
  | 'ClientCertIncompatible';

export type TlsVerifyStatus = 'Success' | `Failed:${AlbClientCertFailure}`;

/** TLS alert descriptions (RFC 8446 section 6) a refusing ALB sends, by name. */
export type RefusalAlert =
  | 'certificate_required'
  | 'certificate_unknown'
  | 'certificate_revoked'
  | 'certificate_expired'
  | 'unsupported_certificate'
  | 'bad_certificate'
  | 'handshake_failure';

export const alertNumbers: Readonly<Record<RefusalAlert, number>> = {
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  certificate_required: 116,
};

export interface ClientChainVerdict {
  readonly status: TlsVerifyStatus;
  /** The alert a refusing listener sends; absent on Success. */
  readonly alert?: RefusalAlert;
  /** The presented leaf, when it parsed. */
  readonly leaf?: ParsedCertificate;
  /** The presented certificates, leaf first, as parsed. */
  readonly presented: readonly ParsedCertificate[];
  /** The path built from the leaf towards a trust anchor (leaf first). */
  readonly path: readonly ParsedCertificate[];
  /** Why, in words, for logs and test failures. */
  readonly reason: string;
}

export interface JudgeOptions {
  /** The listener attribute `IgnoreClientCertificateExpiry`. @default false */
  readonly ignoreClientCertificateExpiry?: boolean;
  /** Longest accepted path, leaf and anchor included. @default 4 (the ALB quota) */
  readonly maxChainDepth?: number;
}

const clientAuthOid = '1.3.6.1.5.5.7.3.2';
const anyExtendedKeyUsageOid = '2.5.29.37.0';
const acceptedCurves = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const maxPathSearch = 16;

/**
 * Signature checks cost more than the rest of a verdict and their answer never changes, so each is
 * made once per (checked object, signer) pair.
 */
function rememberedCheck<T extends object>(
  cache: WeakMap<T, Map<string, boolean>>,
  checked: T,
  signer: ParsedCertificate,
  check: () => boolean,
): boolean {
  let bySigner = cache.get(checked);
  if (bySigner === undefined) {
    bySigner = new Map();
    cache.set(checked, bySigner);
  }
  let ok = bySigner.get(signer.fingerprint256);
  if (ok === undefined) {
    ok = check();
    bySigner.set(signer.fingerprint256, ok);
  }
  return ok;
}

const crlSignatureChecks = new WeakMap<ParsedCrl, Map<string, boolean>>();

function crlSignedBy(crl: ParsedCrl, issuer: ParsedCertificate): boolean {
  return rememberedCheck(crlSignatureChecks, crl, issuer, () =>
    verifySignedBytes(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer.x509.publicKey),
  );
}

const issuanceChecks = new WeakMap<ParsedCertificate, Map<string, boolean>>();

function issuedBy(cert: ParsedCertificate, candidate: ParsedCertificate): boolean {
  if (!candidate.subjectDer.equals(cert.issuerDer)) return false;
  return rememberedCheck(issuanceChecks, cert, candidate, () => {
    try {
      return cert.x509.verify(candidate.x509.publicKey);
    } catch {
      return false;
    }
  });
}

function toDerList(chain: readonly (string | Uint8Array)[]): Buffer[] {
  return chain.flatMap((item) =>
    typeof item === 'string' ? pemCertificatesToDer(item) : [Buffer.from(item)],
  );
}

function keyTypeProblem(leaf: ParsedCertificate): string | undefined {
  const { type, bits, curve } = leaf.key;
  if (type === 'rsa') {
    return bits !== undefined && bits >= 2048 && bits <= 8192
      ? undefined
      : `RSA key of ${bits} bits (the ALB takes 2048 to 8192)`;
  }
  if (type === 'ec') {
    return acceptedCurves.has(curve ?? '')
      ? undefined
      : `EC key on curve ${curve} (the ALB takes P-256, P-384, P-521)`;
  }
  return `${type} key (the ALB takes RSA or ECDSA)`;
}

/**
 * The ALB's verdict on a presented client chain in `verify` mode, as a pure function of the chain,
 * the trust store, the options and the time. The order of the checks is our choice (the ALB does
 * not document one): parse, chain depth, trust, validity, revocation, purpose, key type.
 *
 * @param chain the certificates the client presented, leaf first (PEM texts or DER), may be empty
 */
export function judgeClientChain(
  chain: readonly (string | Uint8Array)[],
  trustStore: TrustStoreInput | CompiledTrustStore,
  options: JudgeOptions = {},
  now: Date = new Date(),
): ClientChainVerdict {
  const store = compileTrustStore(trustStore);
  const ders = toDerList(chain);
  if (ders.length === 0) {
    return {
      status: 'Failed:UnmappedConnectionError',
      alert: 'certificate_required',
      presented: [],
      path: [],
      reason: 'no client certificate was presented',
    };
  }
  const presented: ParsedCertificate[] = [];
  for (const [index, der] of ders.entries()) {
    try {
      presented.push(parseCertificate(der));
    } catch {
      return {
        status: 'Failed:ClientCertInvalid',
        alert: 'bad_certificate',
        presented,
        path: [],
        reason: `presented certificate #${index + 1} does not parse as X.509`,
      };
    }
  }
  const leaf = presented[0] as ParsedCertificate;
  const fail = (
    status: TlsVerifyStatus,
    alert: RefusalAlert,
    path: ParsedCertificate[],
    reason: string,
  ): ClientChainVerdict => ({ status, alert, leaf, presented, path, reason });

  // Trust-store CAs first, so a path ends at the anchor the ALB would use.
  const pool = [...store.cas, ...presented.slice(1)];
  const path: ParsedCertificate[] = [leaf];
  let current = leaf;
  while (!current.selfSigned && path.length < maxPathSearch) {
    const from = current;
    const issuer = pool.find((candidate) => !path.includes(candidate) && issuedBy(from, candidate));
    if (issuer === undefined) break;
    path.push(issuer);
    current = issuer;
  }
  const maxDepth = options.maxChainDepth ?? 4;
  if (path.length > maxDepth || presented.length > maxDepth) {
    const depth = Math.max(path.length, presented.length);
    return fail(
      'Failed:ClientCertMaxChainDepthExceeded',
      'bad_certificate',
      path,
      `chain depth ${depth} exceeds ${maxDepth}`,
    );
  }
  const anchors = new Set(store.cas.map((ca) => ca.fingerprint256));
  const trusted = path.some(
    (cert, index) => anchors.has(cert.fingerprint256) && (index > 0 || cert.selfSigned),
  );
  if (!trusted) {
    return fail(
      'Failed:ClientCertUntrusted',
      'certificate_unknown',
      path,
      `no certificate in the trust store issued "${path[path.length - 1]?.issuer}"`,
    );
  }
  if (options.ignoreClientCertificateExpiry !== true) {
    for (const cert of path) {
      if (cert.notAfter.getTime() < now.getTime()) {
        return fail(
          'Failed:ClientCertExpired',
          'certificate_expired',
          path,
          `"${cert.subject}" expired ${cert.notAfter.toISOString()}`,
        );
      }
      if (cert.notBefore.getTime() > now.getTime()) {
        return fail(
          'Failed:ClientCertNotYetValid',
          'certificate_expired',
          path,
          `"${cert.subject}" is valid only from ${cert.notBefore.toISOString()}`,
        );
      }
    }
  }
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i] as ParsedCertificate;
    const issuer = path[i + 1] as ParsedCertificate;
    for (const crl of store.crls) {
      if (!crl.issuerDer.equals(cert.issuerDer)) continue;
      if (!crlSignedBy(crl, issuer)) {
        return fail(
          'Failed:ClientCertCrlProcessingError',
          'certificate_unknown',
          path,
          `a CRL named issuer "${cert.issuer}" but its signature does not verify with that issuer's key`,
        );
      }
      if (crl.revokedSerials.has(cert.serialHex)) {
        return fail(
          'Failed:ClientCertCrlHit',
          'certificate_revoked',
          path,
          `serial ${cert.serialHex} of "${cert.subject}" is revoked`,
        );
      }
    }
  }
  const usages = leaf.extendedKeyUsage;
  if (usages !== undefined && !usages.includes(clientAuthOid) && !usages.includes(anyExtendedKeyUsageOid)) {
    return fail(
      'Failed:ClientCertPurposeInvalid',
      'unsupported_certificate',
      path,
      `extended key usage ${usages.join(', ')} does not allow clientAuth`,
    );
  }
  const keyProblem = keyTypeProblem(leaf);
  if (keyProblem !== undefined) {
    return fail('Failed:ClientCertTypeUnsupported', 'unsupported_certificate', path, keyProblem);
  }
  return {
    status: 'Success',
    leaf,
    presented,
    path,
    reason: 'the chain reaches the trust store and passes every check',
  };
}
