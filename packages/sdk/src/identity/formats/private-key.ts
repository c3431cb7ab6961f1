import { createPrivateKey, type KeyObject } from 'node:crypto';
import { IdentityError } from '../../errors/index.ts';
import { type PemBlock, pemInvalid } from '../pem.ts';
import { asn1Readers } from './asn1-readers.ts';

export const PRIVATE_KEY_LABELS = new Set([
  'PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
]);

export interface KeySource {
  readonly field: string;
  readonly source: string;
}

export function passphraseMissing(where: KeySource, what: string): IdentityError {
  return new IdentityError(
    'IDENTITY_PASSPHRASE_MISSING',
    `${where.source}: field ${where.field}: ${what} is encrypted and no passphrase was given`,
    { details: { source: where.source, field: where.field } },
  );
}

export function passphraseWrong(where: KeySource, what: string, cause?: unknown): IdentityError {
  return new IdentityError(
    'IDENTITY_PASSPHRASE_WRONG',
    `${where.source}: field ${where.field}: the passphrase does not decrypt ${what}`,
    {
      details: { source: where.source, field: where.field },
      ...(cause === undefined ? {} : { cause: scrub(cause) }),
    },
  );
}

/**
 * node:crypto errors never quote the key, but keep only code and message anyway so that a future
 * change upstream cannot smuggle input bytes into our `cause`.
 */
function scrub(error: unknown): Error {
  if (error instanceof Error) {
    const copy = new Error(error.message.slice(0, 200));
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') Object.assign(copy, { code });
    return copy;
  }
  return new Error('non-error thrown');
}

/** Reads a PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8 key block. */
export function readPrivateKey(block: PemBlock, passphrase: string | undefined, source: string): KeyObject {
  const where = { field: block.field, source };
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || block.legacyEncrypted;
  if (encrypted && passphrase === undefined) throw passphraseMissing(where, 'the private key');
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    guardIterations(block.der, where);
    return decryptKeyDer(block.der, passphrase ?? '', where);
  }
  try {
    if (block.legacyEncrypted)
      return createPrivateKey({ key: block.text, format: 'pem', passphrase: passphrase ?? '' });
    const type =
      block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
    return createPrivateKey({ key: block.der, format: 'der', type });
  } catch (error) {
    if (block.legacyEncrypted) throw passphraseWrong(where, 'the private key', error);
    throw pemInvalid(block.field, source, `the ${block.label} block is not a valid key`, {}, scrub(error));
  }
}

/** An EncryptedPrivateKeyInfo (PEM body or PKCS#12 shrouded key bag), decrypted by node:crypto. */
export function decryptKeyDer(der: Uint8Array, passphrase: string, where: KeySource): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8', passphrase });
  } catch (error) {
    throw passphraseWrong(where, 'the private key', error);
  }
}

export function guardIterations(der: Uint8Array, where: KeySource): void {
  const { checkEncryptedKeyInfo, PasswordEncryptionError } = asn1Readers().encryption;
  try {
    checkEncryptedKeyInfo(der);
  } catch (error) {
    const why =
      error instanceof PasswordEncryptionError ? error.message : 'its encryption parameters do not parse';
    throw pemInvalid(where.field, where.source, `the encrypted private key is unusable: ${why}`);
  }
}

export function describeKey(key: KeyObject): {
  keyType: 'rsa' | 'ec' | 'other';
  keyBits?: number;
  curve?: string;
} {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return details.modulusLength === undefined
      ? { keyType: 'rsa' }
      : { keyType: 'rsa', keyBits: details.modulusLength };
  }
  if (key.asymmetricKeyType === 'ec') {
    return details.namedCurve === undefined
      ? { keyType: 'ec' }
      : { keyType: 'ec', curve: details.namedCurve };
  }
  return { keyType: 'other' };
}
