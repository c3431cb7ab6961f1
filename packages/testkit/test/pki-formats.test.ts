import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import {
  createTestPki,
  type Issued,
  isTestkitError,
  type TestPki,
  toEncryptedPkcs8Pem,
  toPkcs1Pem,
  toPkcs12,
  toSec1Pem,
} from '@mtls-link/testkit';
import { beforeAll, describe, expect, test } from 'vitest';

const passphrase = 'correct horse battery staple';

function matchesCertificate(issued: Issued, keyPem: string, keyPassphrase?: string): boolean {
  const key = createPrivateKey(
    keyPassphrase === undefined ? keyPem : { key: keyPem, passphrase: keyPassphrase },
  );
  return new X509Certificate(issued.certPem).checkPrivateKey(key);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('key format converters', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  test('the unencrypted key is PKCS#8', () => {
    expect(pki.clients.valid.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pki.clients.rsa2048.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(matchesCertificate(pki.clients.valid, pki.clients.valid.keyPem)).toBe(true);
  });

  test('toPkcs1Pem writes an RSA PRIVATE KEY that still matches the certificate', () => {
    for (const issued of [pki.clients.rsa1024, pki.clients.rsa2048, pki.clients.rsa4096]) {
      const pkcs1 = toPkcs1Pem(issued.keyPem);
      expect(pkcs1).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
      expect(createPrivateKey(pkcs1).asymmetricKeyType).toBe('rsa');
      expect(matchesCertificate(issued, pkcs1)).toBe(true);
    }
  });

  test('toSec1Pem writes an EC PRIVATE KEY that still matches the certificate', () => {
    for (const issued of [pki.clients.ecP256, pki.clients.ecP384, pki.server]) {
      const sec1 = toSec1Pem(issued.keyPem);
      expect(sec1).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
      expect(matchesCertificate(issued, sec1)).toBe(true);
    }
  });

  test('each converter refuses the other key type with a typed error', () => {
    const pkcs1Error = thrown(() => toPkcs1Pem(pki.clients.ecP256.keyPem));
    expect(isTestkitError(pkcs1Error)).toBe(true);
    expect(pkcs1Error).toMatchObject({
      code: 'PKI_KEY_TYPE_MISMATCH',
      message: expect.stringMatching(/this key is ec/),
    });
    expect(() => toSec1Pem(pki.clients.rsa2048.keyPem)).toThrow(/SEC1 holds EC keys, this key is rsa/);
  });

  test('toEncryptedPkcs8Pem needs the passphrase to be read back', () => {
    for (const issued of [pki.clients.valid, pki.clients.rsa2048]) {
      const encrypted = toEncryptedPkcs8Pem(issued.keyPem, passphrase);
      expect(encrypted).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      expect(() => createPrivateKey(encrypted)).toThrow();
      expect(() => createPrivateKey({ key: encrypted, passphrase: 'wrong' })).toThrow();
      expect(matchesCertificate(issued, encrypted, passphrase)).toBe(true);
    }
    expect(() => toEncryptedPkcs8Pem(pki.clients.valid.keyPem, '')).toThrow(/passphrase must not be empty/);
  });

  test('an unreadable key is named without echoing its contents', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n';
    const error = thrown(() => toSec1Pem(garbage));
    expect(error).toMatchObject({
      code: 'PKI_KEY_INVALID',
      message: 'toSec1Pem: keyPem is not an unencrypted private key PEM',
    });
    expect(String((error as Error).message)).not.toContain('c2VjcmV0');
  });
});

describe('toPkcs12', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  test.each(['valid', 'rsa2048', 'ecP384'] as const)(
    '%s loads into a TLS context with the right passphrase only',
    async (flavour) => {
      const pfx = Buffer.from(await toPkcs12(pki.clients[flavour], passphrase));
      expect(() => createSecureContext({ pfx, passphrase })).not.toThrow();
      expect(() => createSecureContext({ pfx, passphrase: 'wrong' })).toThrow(/mac verify failure/i);
      expect(() => createSecureContext({ pfx })).toThrow();
    },
  );

  test('without the chain the file is smaller by exactly the chain certificates', async () => {
    const issued = pki.clients.chainTooDeep;
    const withChain = await toPkcs12(issued, passphrase);
    const leafOnly = await toPkcs12(issued, passphrase, { includeChain: false });
    expect(() => createSecureContext({ pfx: Buffer.from(leafOnly), passphrase })).not.toThrow();
    const chainDerBytes = (
      issued.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    )
      .map((block) => new X509Certificate(block).raw.length)
      .reduce((sum, n) => sum + n, 0);
    expect(withChain.length - leafOnly.length).toBeGreaterThan(chainDerBytes);
  });

  test('an empty passphrase is refused', async () => {
    await expect(toPkcs12(pki.clients.valid, '')).rejects.toMatchObject({ code: 'PKI_PASSPHRASE_MISSING' });
  });
});
