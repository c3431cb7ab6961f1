import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  type CertificateAuthority,
  createRootCa,
  createTestPki,
  type Issued,
  type TestPki,
} from '@mtls-link/testkit';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, test } from 'vitest';

const clientAuth = '1.3.6.1.5.5.7.3.2';
const serverAuth = '1.3.6.1.5.5.7.3.1';

function pemCertificates(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

/** Leaf first, then every issuer, each verified with its issuer's public key. */
function verifiedPath(issued: Issued): X509Certificate[] {
  const path = [new X509Certificate(issued.certPem), ...pemCertificates(issued.chainPem)];
  for (let i = 0; i < path.length - 1; i++) {
    const [child, parent] = [path[i], path[i + 1]];
    if (!child || !parent) throw new Error('unreachable');
    expect(child.checkIssued(parent), `${child.subject} issued by ${parent.subject}`).toBe(true);
    expect(child.verify(parent.publicKey), `${child.subject} signed by ${parent.subject}`).toBe(true);
  }
  const top = path.at(-1);
  expect(top?.verify(top.publicKey), 'path ends at a self-signed root').toBe(true);
  return path;
}

function parsed(issued: Issued) {
  const cert = new X509Certificate(issued.certPem);
  expect(cert.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
  expect(cert.serialNumber).toBe(issued.serialHex);
  expect(issued.serialHex).toMatch(/^[0-9A-F]+$/);
  expect(new Date(cert.validFrom).getTime()).toBe(issued.notBefore.getTime());
  expect(new Date(cert.validTo).getTime()).toBe(issued.notAfter.getTime());
  return cert;
}

function extendedKeyUsages(issued: Issued): string[] {
  return issued.cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
}

function isValidNow(cert: X509Certificate): boolean {
  const now = Date.now();
  return new Date(cert.validFrom).getTime() <= now && now <= new Date(cert.validTo).getTime();
}

describe('createTestPki', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  test('root and intermediate are CAs; the trust store holds both, root first', () => {
    const root = parsed(pki.root);
    const intermediate = parsed(pki.intermediate);
    expect(root.ca).toBe(true);
    expect(intermediate.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(pki.root.chainPem).toBe('');
    expect(pemCertificates(pki.trustStorePem).map((c) => c.fingerprint256)).toEqual([
      root.fingerprint256,
      intermediate.fingerprint256,
    ]);
    expect(parsed(pki.foreignRoot).verify(root.publicKey)).toBe(false);
  });

  test('server certificate: names, IPs, serverAuth, issued by the intermediate', () => {
    const server = parsed(pki.server);
    expect(server.ca).toBe(false);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('api.example.com')).toBe('api.example.com');
    expect(server.checkHost('other.example.com')).toBeUndefined();
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.keyUsage).toEqual([serverAuth]);
    expect(verifiedPath(pki.server).map((c) => c.subject)).toEqual([
      server.subject,
      new X509Certificate(pki.intermediate.certPem).subject,
      new X509Certificate(pki.root.certPem).subject,
    ]);
  });

  test('valid: current, clientAuth, chains to the root through the intermediate', () => {
    const cert = parsed(pki.clients.valid);
    expect(isValidNow(cert)).toBe(true);
    expect(extendedKeyUsages(pki.clients.valid)).toEqual([clientAuth]);
    expect(cert.keyUsage).toEqual([clientAuth]);
    expect(verifiedPath(pki.clients.valid)).toHaveLength(3);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  test('expired: validity ended in the past', () => {
    const cert = parsed(pki.clients.expired);
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now());
    expect(isValidNow(cert)).toBe(false);
    verifiedPath(pki.clients.expired);
  });

  test('notYetValid: validity starts in the future', () => {
    const cert = parsed(pki.clients.notYetValid);
    expect(new Date(cert.validFrom).getTime()).toBeGreaterThan(Date.now());
    expect(isValidNow(cert)).toBe(false);
    verifiedPath(pki.clients.notYetValid);
  });

  test('revoked: listed in the intermediate CRL and in the stale one; valid is not', async () => {
    parsed(pki.clients.revoked);
    verifiedPath(pki.clients.revoked);
    const crl = new x509.X509Crl(pki.crlPem);
    expect(await crl.verify({ publicKey: pki.intermediate.cert.publicKey })).toBe(true);
    expect(await crl.verify({ publicKey: pki.root.cert.publicKey })).toBe(false);
    expect(crl.issuer).toBe(pki.intermediate.subject);
    expect(crl.findRevoked(pki.clients.revoked.serialHex.toLowerCase())).not.toBeNull();
    expect(crl.entries.map((entry) => entry.serialNumber.toUpperCase())).toEqual([
      pki.clients.revoked.serialHex,
    ]);
    expect(crl.findRevoked(pki.clients.valid.serialHex.toLowerCase())).toBeNull();
    expect(crl.thisUpdate.getTime()).toBeLessThanOrEqual(Date.now());
    expect(crl.nextUpdate?.getTime()).toBeGreaterThan(Date.now());

    const stale = new x509.X509Crl(pki.staleCrlPem);
    expect(await stale.verify({ publicKey: pki.intermediate.cert.publicKey })).toBe(true);
    expect(stale.nextUpdate?.getTime()).toBeLessThan(Date.now());
    expect(stale.entries.map((entry) => entry.serialNumber.toUpperCase())).toEqual([
      pki.clients.revoked.serialHex,
    ]);

    const rootCrl = new x509.X509Crl(pki.rootCrlPem);
    expect(await rootCrl.verify({ publicKey: pki.root.cert.publicKey })).toBe(true);
    expect(rootCrl.entries).toHaveLength(0);
  });

  test('foreignCa: chains to the foreign root only', () => {
    const cert = parsed(pki.clients.foreignCa);
    const path = verifiedPath(pki.clients.foreignCa);
    expect(path.at(-1)?.fingerprint256).toBe(new X509Certificate(pki.foreignRoot.certPem).fingerprint256);
    for (const ca of pemCertificates(pki.trustStorePem)) {
      expect(cert.checkIssued(ca)).toBe(false);
      expect(cert.verify(ca.publicKey)).toBe(false);
    }
  });

  test('serverAuthOnly: EKU holds serverAuth and not clientAuth', () => {
    const cert = parsed(pki.clients.serverAuthOnly);
    expect(extendedKeyUsages(pki.clients.serverAuthOnly)).toEqual([serverAuth]);
    expect(cert.keyUsage).toEqual([serverAuth]);
    verifiedPath(pki.clients.serverAuthOnly);
  });

  test('chainTooDeep: leaf, five intermediates and the root (7 certificates, ALB allows depth 4)', () => {
    parsed(pki.clients.chainTooDeep);
    const path = verifiedPath(pki.clients.chainTooDeep);
    expect(path).toHaveLength(7);
    expect(path.slice(1).every((c) => c.ca)).toBe(true);
    expect(path.at(-1)?.fingerprint256).toBe(new X509Certificate(pki.root.certPem).fingerprint256);
    expect(path[5]?.fingerprint256).toBe(new X509Certificate(pki.intermediate.certPem).fingerprint256);
  });

  test.each([
    ['rsa1024', 'rsa', 1024],
    ['rsa2048', 'rsa', 2048],
    ['rsa4096', 'rsa', 4096],
  ] as const)('%s: an RSA key of %s %i bits', (flavour, type, bits) => {
    const cert = parsed(pki.clients[flavour]);
    expect(cert.publicKey.asymmetricKeyType).toBe(type);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
    expect(extendedKeyUsages(pki.clients[flavour])).toEqual([clientAuth]);
    verifiedPath(pki.clients[flavour]);
  });

  test.each([
    ['ecP256', 'prime256v1'],
    ['ecP384', 'secp384r1'],
  ] as const)('%s: an EC key on %s', (flavour, curve) => {
    const cert = parsed(pki.clients[flavour]);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
    verifiedPath(pki.clients[flavour]);
  });

  test('every certificate has its own serial number', () => {
    const serials = [
      pki.root,
      pki.intermediate,
      pki.foreignRoot,
      pki.server,
      ...Object.values(pki.clients),
    ].map((issued) => issued.serialHex);
    expect(new Set(serials).size).toBe(serials.length);
  });
});

describe('CertificateAuthority', () => {
  let root: CertificateAuthority;
  beforeAll(async () => {
    root = await createRootCa({ commonName: 'custom root', key: { kind: 'ec', curve: 'P-384' } });
  });

  test('an RSA-keyed CA signs with RSA and its leaves verify', async () => {
    const rsaRoot = await createRootCa({ key: { kind: 'rsa', bits: 2048 } });
    const leaf = await rsaRoot.issueClient({ key: { kind: 'ec', curve: 'P-256' } });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(rsaRoot.certPem).publicKey)).toBe(
      true,
    );
    expect(leaf.chainPem).toBe(rsaRoot.certPem);
  });

  test('a P-384 root signs ECDSA-SHA384; chosen validity and common name are kept', async () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-02-01T00:00:00Z');
    const leaf = await root.issueClient({ commonName: 'alice', notBefore, notAfter });
    expect(leaf.cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-384' } });
    expect(leaf.subject).toContain('CN=alice');
    expect(leaf.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(leaf.notAfter.toISOString()).toBe(notAfter.toISOString());
    expect(parsed(leaf).issuer).toBe(new X509Certificate(root.certPem).subject);
  });

  test('a CRL keeps the chosen thisUpdate and nextUpdate', async () => {
    const leaf = await root.issueClient();
    const thisUpdate = new Date('2026-03-01T12:00:00Z');
    const nextUpdate = new Date('2026-03-08T12:00:00Z');
    const crl = new x509.X509Crl(await root.crl({ revoked: [leaf], thisUpdate, nextUpdate }));
    expect(crl.thisUpdate.toISOString()).toBe(thisUpdate.toISOString());
    expect(crl.nextUpdate?.toISOString()).toBe(nextUpdate.toISOString());
    expect(crl.findRevoked(leaf.serialHex.toLowerCase())).not.toBeNull();
    expect(await crl.verify({ publicKey: root.cert.publicKey })).toBe(true);
  });

  test('re-issuing for an existing key pair keeps the key and changes the serial (a renewal)', async () => {
    const first = await root.issueClient({ commonName: 'renewed' });
    const renewed = await root.issueClient({ commonName: 'renewed', keys: first.keys });
    expect(renewed.keyPem).toBe(first.keyPem);
    expect(renewed.serialHex).not.toBe(first.serialHex);
    expect(new X509Certificate(renewed.certPem).checkPrivateKey(createPrivateKey(first.keyPem))).toBe(true);
  });

  test('bad input is refused with a typed error that names the option', async () => {
    await expect(root.issueServer({})).rejects.toMatchObject({ code: 'PKI_SERVER_NAMES_MISSING' });
    await expect(
      root.issueClient({ notBefore: new Date('2026-02-01'), notAfter: new Date('2026-01-01') }),
    ).rejects.toThrow(/issueClient: notAfter must be later than notBefore/);
    await expect(
      root.crl({ thisUpdate: new Date('2026-02-01'), nextUpdate: new Date('2026-01-01') }),
    ).rejects.toMatchObject({ name: 'TestkitError', code: 'PKI_VALIDITY_INVALID' });
  });
});
