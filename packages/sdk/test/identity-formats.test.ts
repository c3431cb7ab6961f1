import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestPki,
  type Issued,
  type TestPki,
  toEncryptedPkcs8Pem,
  toPkcs1Pem,
  toPkcs12,
  toSec1Pem,
} from '@mtls-link/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { type ClientIdentity, type IdentityMaterial, readIdentity } from '../src/index.ts';
import { expectIdentityError } from './identity-leak-guard.ts';

let pki: TestPki;
let valid: Issued;
const passphrase = 'correct horse battery staple 7f3a';
const wrongPassphrase = 'incorrect donkey 41b9';

beforeAll(async () => {
  pki = await createTestPki();
  valid = pki.clients.valid;
}, 60_000);

const source = 'test:formats';
const read = (material: Omit<IdentityMaterial, 'source'>) => readIdentity({ source, ...material });
const allKeys = () => Object.values(pki.clients).map((c) => c.keyPem);
const secrets = () => ({ keyPems: allKeys(), passphrases: [passphrase, wrongPassphrase] });

/** The identity is the `issued` leaf, with its key, and the chain holds the intermediate but no root. */
function expectIdentityOf(identity: ClientIdentity, issued: Issued): void {
  expect(identity.fingerprint256).toBe(new X509Certificate(issued.certPem).fingerprint256);
  expect(identity.leaf.checkPrivateKey(identity.privateKey)).toBe(true);
  expect(identity.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  expect(identity.serialHex).toBe(issued.serialHex.replace(/^(00)+/, ''));
  expect(identity.chain.map((c) => c.subject)).toEqual([
    new X509Certificate(pki.intermediate.certPem).subject,
  ]);
  expect(identity.chainPem).toContain('-----BEGIN CERTIFICATE-----');
  expect(identity.source).toBe(source);
  expect(identity.notAfter.getTime()).toBe(issued.notAfter.getTime());
}

/** PEM blocks of a bundle, shuffled deterministically (reversed, then rotated). */
function shuffledBundle(...pems: string[]): string {
  const blocks = pems.join('\n').match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g) ?? [];
  const reversed = blocks.reverse();
  return [...reversed.slice(1), reversed[0]].join('\n\n');
}

describe('JSON SecretString field families (matched case-insensitively)', () => {
  test('certificate / privateKey / certificateChain / ca', () => {
    const secret = JSON.stringify({
      certificate: valid.certPem,
      privateKey: valid.keyPem,
      certificateChain: pki.intermediate.certPem,
      ca: pki.root.certPem,
    });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('cert / key / chain, upper-cased names and the chain holding the root too', () => {
    const secret = JSON.stringify({ CERT: valid.certPem, Key: valid.keyPem, chain: valid.chainPem });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('tls.crt / tls.key / ca.crt (Kubernetes TLS secret, values base64 as in `data`)', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const secret = JSON.stringify({
      'tls.crt': b64(valid.certPem + pki.intermediate.certPem),
      'tls.key': b64(valid.keyPem),
      'ca.crt': b64(pki.root.certPem),
    });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('ACM ExportCertificate shape: Certificate / CertificateChain / encrypted PrivateKey + Passphrase', () => {
    const secret = JSON.stringify({
      Certificate: valid.certPem,
      CertificateChain: valid.chainPem,
      PrivateKey: toEncryptedPkcs8Pem(valid.keyPem, passphrase),
      Passphrase: passphrase,
    });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('CERTIFICATE_PEM / CERTIFICATE_CHAIN_PEM / PRIVATE_KEY_PEM (AWS rotation sample)', () => {
    const secret = JSON.stringify({
      CERTIFICATE_PEM: valid.certPem,
      CERTIFICATE_CHAIN_PEM: valid.chainPem,
      PRIVATE_KEY_PEM: valid.keyPem,
    });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('PEM values with literal \\n escapes (pasted into a console) and CRLF line ends', () => {
    const escapeNewlines = (pem: string) => pem.replaceAll('\n', '\\n');
    const secret = JSON.stringify({
      certificate: escapeNewlines(valid.certPem),
      privateKey: valid.keyPem.replaceAll('\n', '\r\n'),
      certificateChain: escapeNewlines(valid.chainPem),
    });
    expect(secret).toContain('\\\\n');
    expectIdentityOf(read({ secretString: secret }), valid);
  });
});

describe('PEM bundles and key encodings', () => {
  test('plain PEM bundle in shuffled order: the leaf is the one matching the key, chain ordered leaf to root', () => {
    const bundle = shuffledBundle(pki.root.certPem, valid.keyPem, pki.intermediate.certPem, valid.certPem);
    expect(bundle.indexOf(valid.certPem.trim())).toBeGreaterThan(bundle.indexOf('PRIVATE KEY'));
    expectIdentityOf(read({ secretString: bundle }), valid);
  });

  test('base64 of a PEM bundle as the whole SecretString, and PEM text stored as SecretBinary', () => {
    const bundle = valid.certPem + valid.chainPem + valid.keyPem;
    expectIdentityOf(read({ secretString: Buffer.from(bundle).toString('base64') }), valid);
    expectIdentityOf(read({ secretBinary: new TextEncoder().encode(bundle) }), valid);
  });

  test('a certificate whose validity time holds no date is IDENTITY_PEM_INVALID, not a RangeError', () => {
    // The first UTCTime (tag 0x17, length 13) of a certificate is its notBefore: break one digit.
    const der = Buffer.from(valid.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from([0x17, 0x0d]));
    expect(at).toBeGreaterThan(0);
    der[at + 3] = 0xb6;
    const broken = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    // OpenSSL still parses it; only the dates say no.
    expect(Number.isNaN(new X509Certificate(broken).validFromDate.getTime())).toBe(true);
    const error = expectIdentityError(
      () => read({ secretString: JSON.stringify({ cert: broken, key: valid.keyPem }) }),
      'IDENTITY_PEM_INVALID',
      { keyPems: [valid.keyPem] },
    );
    expect(error.message).toContain('validity dates do not parse');
  });

  test('PKCS#1 RSA key', () => {
    const rsa = pki.clients.rsa2048;
    const pkcs1 = toPkcs1Pem(rsa.keyPem);
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    const identity = read({
      secretString: JSON.stringify({ cert: rsa.certPem, key: pkcs1, chain: rsa.chainPem }),
    });
    expectIdentityOf(identity, rsa);
    expect(identity).toMatchObject({ keyType: 'rsa', keyBits: 2048 });
  });

  test('SEC1 EC key (P-384)', () => {
    const ec = pki.clients.ecP384;
    const sec1 = toSec1Pem(ec.keyPem);
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    const identity = read({ secretString: `${ec.certPem}${sec1}${ec.chainPem}` });
    expectIdentityOf(identity, ec);
    expect(identity).toMatchObject({ keyType: 'ec', curve: 'secp384r1' });
  });

  test('legacy OpenSSL encrypted PEM (Proc-Type: 4,ENCRYPTED) with the passphrase option', () => {
    const rsa = pki.clients.rsa2048;
    const legacy = createPrivateKey(rsa.keyPem)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase })
      .toString();
    expect(legacy).toContain('Proc-Type: 4,ENCRYPTED');
    expectIdentityOf(read({ secretString: rsa.certPem + legacy + rsa.chainPem, passphrase }), rsa);
  });

  test('encrypted PKCS#8: right passphrase reads, wrong and missing ones are typed errors', () => {
    const encrypted = toEncryptedPkcs8Pem(valid.keyPem, passphrase);
    const secret = JSON.stringify({
      certificate: valid.certPem,
      privateKey: encrypted,
      certificateChain: valid.chainPem,
    });
    expectIdentityOf(read({ secretString: secret, passphrase }), valid);
    const wrong = expectIdentityError(
      () => read({ secretString: secret, passphrase: wrongPassphrase }),
      'IDENTITY_PASSPHRASE_WRONG',
      secrets(),
    );
    expect(wrong.message).toContain('privateKey');
    expect(wrong.message).toContain(source);
    const missing = expectIdentityError(
      () => read({ secretString: secret }),
      'IDENTITY_PASSPHRASE_MISSING',
      secrets(),
    );
    expect(missing.message).toContain('privateKey');
  });
});

describe('PKCS#12', () => {
  test('SecretBinary with the passphrase as an option', async () => {
    const p12 = await toPkcs12(valid, passphrase);
    expectIdentityOf(read({ secretBinary: p12, passphrase }), valid);
  });

  test('JSON with a base64 pfx field and the passphrase in a field', async () => {
    const p12 = await toPkcs12(valid, passphrase);
    const secret = JSON.stringify({ pfx: Buffer.from(p12).toString('base64'), passphrase });
    expectIdentityOf(read({ secretString: secret }), valid);
  });

  test('wrong and missing PKCS#12 passphrases are typed errors without key bytes', async () => {
    const p12 = await toPkcs12(valid, passphrase);
    const wrong = expectIdentityError(
      () => read({ secretBinary: p12, passphrase: wrongPassphrase }),
      'IDENTITY_PASSPHRASE_WRONG',
      secrets(),
    );
    expect(wrong.message).toContain('SecretBinary');
    expectIdentityError(() => read({ secretBinary: p12 }), 'IDENTITY_PASSPHRASE_MISSING', secrets());
  });

  test('DER whose GeneralizedTime is not a time (asn1js throws instead of failing the parse) is a typed error', () => {
    const text = new TextEncoder().encode('not-a-time-at-all');
    const der = Uint8Array.from([0x30, text.length + 2, 0x18, text.length, ...text]);
    const error = expectIdentityError(
      () => read({ secretBinary: der, passphrase }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(error.message).toContain('PKCS#12');
  });

  test('PKCS#12 without the chain: the identity still reads, with an empty chain', async () => {
    const p12 = await toPkcs12(valid, passphrase, { includeChain: false });
    const identity = read({ secretBinary: p12, passphrase });
    expect(identity.fingerprint256).toBe(new X509Certificate(valid.certPem).fingerprint256);
    expect(identity.chain).toHaveLength(0);
  });

  // OpenSSL writes encrypted certificate safes (PBES2 by default, PKCS#12 PBE with -certpbe), which
  // the testkit's writer does not; these cases cover that decryption path.
  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!openssl)
    console.warn('identity-formats: openssl not on PATH, skipping the OpenSSL-written PKCS#12 cases');

  test.skipIf(!openssl).each([
    ['OpenSSL 3 default (PBES2 AES-256, encrypted certificate safe)', []],
    [
      'legacy 3DES PKCS#12 PBE with a SHA-1 MAC',
      ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
    ],
  ])('%s', (_name, args) => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-link-p12-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), valid.certPem);
      writeFileSync(join(dir, 'key.pem'), valid.keyPem, { mode: 0o600 });
      writeFileSync(join(dir, 'chain.pem'), valid.chainPem);
      execFileSync(
        'openssl',
        [
          'pkcs12',
          '-export',
          '-in',
          join(dir, 'cert.pem'),
          '-inkey',
          join(dir, 'key.pem'),
          '-certfile',
          join(dir, 'chain.pem'),
          '-out',
          join(dir, 'id.p12'),
          '-passout',
          'env:P12_PASS',
          ...args,
        ],
        { env: { ...process.env, P12_PASS: passphrase }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const p12 = readFileSync(join(dir, 'id.p12'));
      expectIdentityOf(read({ secretBinary: p12, passphrase }), valid);
      expectIdentityError(
        () => read({ secretBinary: p12, passphrase: wrongPassphrase }),
        'IDENTITY_PASSPHRASE_WRONG',
        secrets(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validation at load: each failure has its code, names source and field, holds no key material', () => {
  test('IDENTITY_PEM_INVALID: truncated certificate, names the field', () => {
    const truncated = valid.certPem.slice(0, valid.certPem.length - 40);
    const error = expectIdentityError(
      () => read({ secretString: JSON.stringify({ certificate: truncated, privateKey: valid.keyPem }) }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(error.message).toContain('certificate');
    expect(error.details).toMatchObject({ field: 'certificate', source });
  });

  test('IDENTITY_PEM_INVALID: key body that is not base64, and a key block that is not a key', () => {
    const broken = valid.keyPem.replace(/\n([A-Za-z0-9+/]{10})/, '\n!!$1');
    const error = expectIdentityError(
      () => read({ secretString: JSON.stringify({ certificate: valid.certPem, privateKey: broken }) }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(error.message).toContain('privateKey');
    const notAKey = `-----BEGIN PRIVATE KEY-----\n${Buffer.from('not a key at all, just text').toString('base64')}\n-----END PRIVATE KEY-----\n`;
    expectIdentityError(
      () => read({ secretString: JSON.stringify({ certificate: valid.certPem, privateKey: notAKey }) }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
  });

  test('IDENTITY_PEM_INVALID: a field holding a number, and a field with no PEM at all', () => {
    const error = expectIdentityError(
      () => read({ secretString: JSON.stringify({ certificate: 42, privateKey: valid.keyPem }) }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(error.message).toMatch(/certificate holds a number/);
    expectIdentityError(
      () => read({ secretString: JSON.stringify({ certificate: 'hello', privateKey: valid.keyPem }) }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
  });

  test('IDENTITY_FIELD_MISSING: no key, no certificate', () => {
    const noKey = expectIdentityError(
      () =>
        read({
          secretString: JSON.stringify({ certificate: valid.certPem, certificateChain: valid.chainPem }),
        }),
      'IDENTITY_FIELD_MISSING',
      secrets(),
    );
    expect(noKey.details).toMatchObject({ missing: 'privateKey' });
    const noCert = expectIdentityError(
      () => read({ secretString: JSON.stringify({ privateKey: valid.keyPem }) }),
      'IDENTITY_FIELD_MISSING',
      secrets(),
    );
    expect(noCert.details).toMatchObject({ missing: 'certificate' });
  });

  test('IDENTITY_FORMAT_UNKNOWN: broken JSON around a key (V8 would quote it), unknown fields, plain text', () => {
    const brokenJson = `{"privateKey": ${JSON.stringify(valid.keyPem)}, "certificate": oops}`;
    const error = expectIdentityError(
      () => read({ secretString: brokenJson }),
      'IDENTITY_FORMAT_UNKNOWN',
      secrets(),
    );
    expect(error.cause).toBeUndefined();
    const unknown = expectIdentityError(
      () => read({ secretString: JSON.stringify({ username: 'x', token: 'y' }) }),
      'IDENTITY_FORMAT_UNKNOWN',
      secrets(),
    );
    expect(unknown.message).toContain('username');
    expectIdentityError(
      () => read({ secretString: 'just a password' }),
      'IDENTITY_FORMAT_UNKNOWN',
      secrets(),
    );
    expectIdentityError(() => read({}), 'IDENTITY_FORMAT_UNKNOWN', secrets());
  });

  test('field names that exist on Object.prototype are not fields', () => {
    const secret = `{"constructor": "x", "toString": "y", "__proto__": "z"}`;
    const error = expectIdentityError(
      () => read({ secretString: secret }),
      'IDENTITY_FORMAT_UNKNOWN',
      secrets(),
    );
    expect(error.message).toContain('constructor');
  });

  test("CLIENT_CERT_KEY_MISMATCH: a certificate with somebody else's key", () => {
    const error = expectIdentityError(
      () =>
        read({
          secretString: JSON.stringify({ certificate: valid.certPem, privateKey: pki.clients.ecP256.keyPem }),
        }),
      'CLIENT_CERT_KEY_MISMATCH',
      secrets(),
    );
    expect(error.message).toContain('certificate');
  });

  test.each([
    ['expired', 'CLIENT_CERT_EXPIRED'],
    ['notYetValid', 'CLIENT_CERT_NOT_YET_VALID'],
    ['serverAuthOnly', 'CLIENT_CERT_PURPOSE_INVALID'],
    ['rsa1024', 'CLIENT_CERT_TYPE_UNSUPPORTED'],
    ['chainTooDeep', 'CLIENT_CERT_CHAIN_TOO_DEEP'],
  ] as const)('%s -> %s', (flavour, code) => {
    const issued = pki.clients[flavour];
    const secret = JSON.stringify({
      certificate: issued.certPem,
      privateKey: issued.keyPem,
      certificateChain: issued.chainPem,
    });
    const error = expectIdentityError(() => read({ secretString: secret }), code, secrets());
    expect(error.message).toContain(source);
    expect(error.hop).toBe('identity');
    // validate: false reads it anyway, for the probe to report the rule as a finding.
    expect(readIdentity({ source, secretString: secret }, { validate: false }).fingerprint256).toBe(
      new X509Certificate(issued.certPem).fingerprint256,
    );
  });

  test('a certificate without any EKU extension is allowed (the self-signed root with its own key)', () => {
    const root = new X509Certificate(pki.root.certPem);
    expect(root.keyUsage).toBeUndefined();
    const identity = read({ secretString: pki.root.certPem + pki.root.keyPem });
    expect(identity.chain).toHaveLength(0);
  });

  test('chain depth: leaf + 2 intermediates + root passes (4), the testkit deep chain (7) does not', async () => {
    const second = await pki.intermediate.issueIntermediate({ commonName: 'depth-4 intermediate' });
    const leaf = await second.issueClient({ commonName: 'depth 4 client' });
    const identity = read({ secretString: leaf.certPem + leaf.keyPem + leaf.chainPem });
    expect(identity.chain).toHaveLength(2);
    const third = await second.issueIntermediate({ commonName: 'depth-5 intermediate' });
    const deeper = await third.issueClient({ commonName: 'depth 5 client' });
    const error = expectIdentityError(
      () => read({ secretString: deeper.certPem + deeper.keyPem + deeper.chainPem }),
      'CLIENT_CERT_CHAIN_TOO_DEEP',
      { keyPems: [deeper.keyPem] },
    );
    expect(error.details).toMatchObject({ depth: 5, max: 4 });
  });
});

describe('the leak guard itself', () => {
  test('flags an error that quotes a slice of the key or the passphrase', async () => {
    const { expectNoSecrets } = await import('./identity-leak-guard.ts');
    const line = valid.keyPem.split('\n')[2] ?? '';
    expect(() => expectNoSecrets(new Error(`oops ${line.slice(5, 40)}`), secrets())).toThrow(/key material/);
    expect(() => expectNoSecrets(new Error('x', { cause: new Error(passphrase) }), secrets())).toThrow(
      /passphrase/,
    );
    expect(() => expectNoSecrets(new Error('clean'), secrets())).not.toThrow();
  });
});

describe('hostile parameters', () => {
  const asn1 = async () => await import('asn1js');
  const hugeIterations = 0x7fffffff;

  test('an encrypted PKCS#8 key asking for 2^31 PBKDF2 iterations is refused at once, not run', async () => {
    const asn1js = await asn1();
    const pem = toEncryptedPkcs8Pem(valid.keyPem, passphrase);
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const root = asn1js.fromBER(der).result as InstanceType<typeof asn1js.Sequence>;
    // EncryptedPrivateKeyInfo → AlgorithmIdentifier → PBES2-params → PBKDF2 AlgorithmIdentifier → PBKDF2-params
    type Node = { valueBlock: { value: Node[] } };
    const child = (node: Node, ...path: number[]) =>
      path.reduce((n, i) => n.valueBlock.value[i] as Node, node);
    const pbkdf2Params = child(root as unknown as Node, 0, 1, 0, 1);
    pbkdf2Params.valueBlock.value[1] = new asn1js.Integer({ value: hugeIterations }) as unknown as Node;
    const hostile = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${Buffer.from(root.toBER()).toString('base64')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
    const started = performance.now();
    const error = expectIdentityError(
      () =>
        read({
          secretString: JSON.stringify({ certificate: valid.certPem, privateKey: hostile }),
          passphrase,
        }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.message).toMatch(/iteration count 2147483647 exceeds/);
  });

  test('a PKCS#12 MAC asking for 2^31 iterations is refused at once', async () => {
    const asn1js = await asn1();
    const pfx = asn1js.fromBER(await toPkcs12(valid, passphrase)).result as InstanceType<
      typeof asn1js.Sequence
    >;
    const macData = pfx.valueBlock.value[2] as InstanceType<typeof asn1js.Sequence>;
    macData.valueBlock.value[2] = new asn1js.Integer({ value: hugeIterations });
    const started = performance.now();
    const error = expectIdentityError(
      () => read({ secretBinary: new Uint8Array(pfx.toBER()), passphrase }),
      'IDENTITY_PEM_INVALID',
      secrets(),
    );
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.message).toMatch(/iteration count/);
  });
});
