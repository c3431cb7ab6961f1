import { TestkitError } from '../errors.ts';
import type { CryptoKey, CryptoKeyPair, SignatureAlgorithm } from './webcrypto-types.ts';

/** The key a certificate is issued for. RSA uses RSASSA-PKCS1-v1_5, EC uses ECDSA. */
export type KeySpec =
  | { kind: 'rsa'; bits: 1024 | 2048 | 3072 | 4096 }
  | { kind: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' };

/** EC P-256: fast to generate and accepted by the ALB, so the default for every certificate. */
export const defaultKeySpec: KeySpec = { kind: 'ec', curve: 'P-256' };

const ecHash = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' } as const;

export function generateKeys(spec: KeySpec): Promise<CryptoKeyPair> {
  // Extractable, because the testkit hands out the private key as PEM and PKCS#12.
  if (spec.kind === 'rsa') {
    return crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: spec.bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    );
  }
  if (!(spec.curve in ecHash)) {
    return Promise.reject(
      new TestkitError('PKI_KEY_SPEC_INVALID', `key.curve ${String(spec.curve)} is not supported`),
    );
  }
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: spec.curve }, true, ['sign', 'verify']);
}

/** The signature algorithm a CA whose private key is `key` signs with. */
export function signingAlgorithmFor(key: CryptoKey): SignatureAlgorithm {
  const algorithm = key.algorithm as { name: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA') {
    const curve = algorithm.namedCurve as keyof typeof ecHash;
    return { name: 'ECDSA', hash: ecHash[curve] ?? 'SHA-256' };
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}
