import { createPrivateKey, type KeyObject } from 'node:crypto';
import { TestkitError } from '../errors.ts';

function readPrivateKey(keyPem: string, what: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (cause) {
    // The message of the cause never holds key bytes, but ours stays generic on purpose.
    throw new TestkitError('PKI_KEY_INVALID', `${what}: keyPem is not an unencrypted private key PEM`, {
      cause,
    });
  }
}

/** `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1). RSA keys only. */
export function toPkcs1Pem(keyPem: string): string {
  const key = readPrivateKey(keyPem, 'toPkcs1Pem');
  if (key.asymmetricKeyType !== 'rsa') {
    throw new TestkitError(
      'PKI_KEY_TYPE_MISMATCH',
      `toPkcs1Pem: PKCS#1 holds RSA keys, this key is ${key.asymmetricKeyType}`,
    );
  }
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/** `-----BEGIN EC PRIVATE KEY-----` (SEC1). EC keys only. */
export function toSec1Pem(keyPem: string): string {
  const key = readPrivateKey(keyPem, 'toSec1Pem');
  if (key.asymmetricKeyType !== 'ec') {
    throw new TestkitError(
      'PKI_KEY_TYPE_MISMATCH',
      `toSec1Pem: SEC1 holds EC keys, this key is ${key.asymmetricKeyType}`,
    );
  }
  return key.export({ type: 'sec1', format: 'pem' }).toString();
}

/**
 * `-----BEGIN ENCRYPTED PRIVATE KEY-----`: PKCS#8 under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC),
 * the form ACM's ExportCertificate returns.
 */
export function toEncryptedPkcs8Pem(keyPem: string, passphrase: string): string {
  if (passphrase.length === 0) {
    throw new TestkitError('PKI_PASSPHRASE_MISSING', 'toEncryptedPkcs8Pem: passphrase must not be empty');
  }
  const key = readPrivateKey(keyPem, 'toEncryptedPkcs8Pem');
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
}
