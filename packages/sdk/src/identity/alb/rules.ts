import type { X509Certificate } from 'node:crypto';
import { IdentityError } from '../../errors/index.ts';
import type { ClientIdentity, IdentityFinding } from '../types.ts';

// The ALB's rules for a client certificate, as findings. `readIdentity` throws the first error
// finding; `inspectIdentity` returns them all. One set of rules, two callers.

/**
 * The ALB verifies chains of at most 4 certificates. Depth here counts every certificate of the
 * verification path, the leaf and the trust anchor (root) included: leaf + 2 intermediates + root
 * is 4 and passes; one more intermediate fails. Without a trust store the root is assumed to sit
 * directly above the topmost certificate given (unless that one is self-signed).
 */
export const MAX_CHAIN_DEPTH = 4;
const SUPPORTED_CURVES: readonly string[] = ['prime256v1', 'secp384r1', 'secp521r1'];
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const DAY_MS = 86_400_000;

type KeyFacts = Pick<ClientIdentity, 'keyType' | 'keyBits' | 'curve'>;

export function keyMismatchFinding(matches: boolean, source: string): IdentityFinding[] {
  if (matches) return [];
  return [
    {
      code: 'CLIENT_CERT_KEY_MISMATCH',
      severity: 'error',
      message: `${source}: the private key does not belong to the leaf certificate`,
    },
  ];
}

export function keyTypeFindings(key: KeyFacts, source: string): IdentityFinding[] {
  const unsupported = (what: string): IdentityFinding[] => [
    {
      code: 'CLIENT_CERT_TYPE_UNSUPPORTED',
      severity: 'error',
      message: `${source}: the certificate key is ${what}; the ALB accepts RSA ${RSA_MIN_BITS}-${RSA_MAX_BITS} or ECDSA P-256/P-384/P-521`,
      details: { keyType: key.keyType, keyBits: key.keyBits, curve: key.curve },
    },
  ];
  if (key.keyType === 'rsa') {
    const bits = key.keyBits ?? 0;
    return bits < RSA_MIN_BITS || bits > RSA_MAX_BITS ? unsupported(`RSA ${bits} bits`) : [];
  }
  if (key.keyType === 'ec') {
    return SUPPORTED_CURVES.includes(key.curve ?? '')
      ? []
      : unsupported(`EC on curve ${key.curve ?? 'unknown'}`);
  }
  return unsupported('neither RSA nor ECDSA');
}

/** A certificate without an EKU extension may be used for any purpose; with one, it must list clientAuth. */
export function purposeFindings(leaf: X509Certificate, source: string): IdentityFinding[] {
  const usages = leaf.keyUsage as string[] | undefined;
  if (usages === undefined || usages.includes(CLIENT_AUTH) || usages.includes(ANY_EXTENDED_KEY_USAGE))
    return [];
  return [
    {
      code: 'CLIENT_CERT_PURPOSE_INVALID',
      severity: 'error',
      message: `${source}: the certificate's extended key usage (${usages.join(', ') || 'empty'}) does not include clientAuth`,
      details: { extendedKeyUsage: usages },
    },
  ];
}

export function validityFindings(
  leaf: { notBefore: Date; notAfter: Date },
  now: number,
  warnDays: number,
  source: string,
): IdentityFinding[] {
  const { notBefore, notAfter } = leaf;
  const details = {
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    now: new Date(now).toISOString(),
  };
  if (now > notAfter.getTime()) {
    return [
      {
        code: 'CLIENT_CERT_EXPIRED',
        severity: 'error',
        message: `${source}: the certificate expired on ${details.notAfter}`,
        details,
      },
    ];
  }
  if (now < notBefore.getTime()) {
    return [
      {
        code: 'CLIENT_CERT_NOT_YET_VALID',
        severity: 'error',
        message: `${source}: the certificate is not valid before ${details.notBefore}`,
        details,
      },
    ];
  }
  const left = daysLeft(notAfter, now);
  if (left < warnDays) {
    return [
      {
        code: 'CLIENT_CERT_EXPIRING',
        severity: 'warning',
        message: `${source}: the certificate expires in ${left.toFixed(1)} days (${details.notAfter})`,
        details: { ...details, daysLeft: left, warnDays },
      },
    ];
  }
  return [];
}

export function chainDepthFindings(depth: number, source: string): IdentityFinding[] {
  if (depth <= MAX_CHAIN_DEPTH) return [];
  return [
    {
      code: 'CLIENT_CERT_CHAIN_TOO_DEEP',
      severity: 'error',
      message: `${source}: the verification path holds ${depth} certificates (leaf to root); the ALB allows ${MAX_CHAIN_DEPTH}`,
      details: { depth, max: MAX_CHAIN_DEPTH },
    },
  ];
}

export function daysLeft(notAfter: Date, now: number): number {
  return (notAfter.getTime() - now) / DAY_MS;
}

/**
 * Depth without a trust store: leaf + intermediates + the root assumed above them (the chain never
 * holds self-signed roots); a self-signed leaf is its own path.
 */
export function presentedDepth(leafSelfSigned: boolean, chain: readonly X509Certificate[]): number {
  return leafSelfSigned ? 1 : chain.length + 2;
}

/** Turns an error finding into the typed error `readIdentity` throws. */
export function findingError(finding: IdentityFinding, source: string): IdentityError {
  const code = finding.code;
  if (
    code === 'CRL_INVALID' ||
    code === 'CRL_STALE' ||
    code === 'CRL_UNVERIFIED' ||
    code === 'CRL_INCOMPLETE' ||
    code === 'CLIENT_CERT_EXPIRING'
  ) {
    throw new TypeError(`finding ${code} is not an identity error`);
  }
  return new IdentityError(code, finding.message, { details: { source, ...finding.details } });
}
