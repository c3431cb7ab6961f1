import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { createTestPki, type Issued, type TestPki, toPkcs12 } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// A plain node:https server (OpenSSL's verifier), not the gateway emulator: it checks that the PKI's
// certificates and CRLs are what a standard TLS stack expects.

type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

interface Verifier {
  port: number;
  peerChains: string[][];
  close(): Promise<void>;
}

async function startVerifier(pki: TestPki, version: TlsVersion, crl?: string[]): Promise<Verifier> {
  const peerChains: string[][] = [];
  const server: Server = createServer(
    {
      cert: pki.server.certPem + pki.server.chainPem,
      key: pki.server.keyPem,
      ca: pki.trustStorePem,
      ...(crl ? { crl } : {}),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: version,
      maxVersion: version,
    },
    (req, res) => {
      const chain: string[] = [];
      let peer: PeerCertificate | undefined = (req.socket as TLSSocket).getPeerCertificate(true);
      while (peer?.subject && !chain.includes(peer.fingerprint256)) {
        chain.push(peer.fingerprint256);
        peer = (peer as { issuerCertificate?: PeerCertificate }).issuerCertificate;
      }
      peerChains.push(chain);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    },
  );
  server.keepAliveTimeout = 100;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    peerChains,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Identity = { issued: Issued; sendChain?: boolean } | { pfx: Uint8Array; passphrase: string };

/** Sends GET / and resolves with the status, or with the error that ended the attempt. */
function call(port: number, pki: TestPki, identity: Identity): Promise<{ status?: number; error?: Error }> {
  const credentials =
    'pfx' in identity
      ? { pfx: Buffer.from(identity.pfx), passphrase: identity.passphrase }
      : {
          cert: identity.issued.certPem + (identity.sendChain ? identity.issued.chainPem : ''),
          key: identity.issued.keyPem,
        };
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername: 'localhost',
        ca: pki.root.certPem,
        agent: false,
        timeout: 5000,
        ...credentials,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ error }));
    req.end();
  });
}

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('node:https with requestCert, %s', (version) => {
  let pki: TestPki;
  let plain: Verifier;
  let withCrl: Verifier;
  let withStaleCrl: Verifier;
  beforeAll(async () => {
    pki = await createTestPki();
    plain = await startVerifier(pki, version);
    // OpenSSL, told to check CRLs, checks every CA in the path: hence the root's (empty) CRL too.
    withCrl = await startVerifier(pki, version, [pki.crlPem, pki.rootCrlPem]);
    withStaleCrl = await startVerifier(pki, version, [pki.staleCrlPem, pki.rootCrlPem]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), withCrl?.close(), withStaleCrl?.close()]);
  });

  test('accepts valid and every key-type flavour', async () => {
    for (const flavour of ['valid', 'rsa2048', 'rsa4096', 'ecP256', 'ecP384'] as const) {
      expect(await call(plain.port, pki, { issued: pki.clients[flavour] }), flavour).toEqual({ status: 200 });
    }
  });

  test('refuses foreignCa, expired and notYetValid', async () => {
    for (const flavour of ['foreignCa', 'expired', 'notYetValid'] as const) {
      const outcome = await call(plain.port, pki, { issued: pki.clients[flavour], sendChain: true });
      expect(outcome.status, flavour).toBeUndefined();
      expect(outcome.error, flavour).toBeInstanceOf(Error);
    }
  });

  test('refuses serverAuthOnly (OpenSSL checks the clientAuth purpose)', async () => {
    const outcome = await call(plain.port, pki, { issued: pki.clients.serverAuthOnly });
    expect(outcome.status).toBeUndefined();
  });

  test('with the CRLs: refuses revoked, accepts valid', async () => {
    expect(await call(plain.port, pki, { issued: pki.clients.revoked })).toEqual({ status: 200 });
    const revoked = await call(withCrl.port, pki, { issued: pki.clients.revoked });
    expect(revoked.status).toBeUndefined();
    expect(revoked.error).toBeInstanceOf(Error);
    expect(await call(withCrl.port, pki, { issued: pki.clients.valid })).toEqual({ status: 200 });
  });

  test('with a stale CRL even valid is refused (CRL has expired)', async () => {
    const outcome = await call(withStaleCrl.port, pki, { issued: pki.clients.valid });
    expect(outcome.status).toBeUndefined();
  });

  test('a PKCS#12 identity works; its chain is what lets the deep-chain leaf through', async () => {
    const before = plain.peerChains.length;
    const pfx = await toPkcs12(pki.clients.valid, 'p12-pass');
    expect(await call(plain.port, pki, { pfx, passphrase: 'p12-pass' })).toEqual({ status: 200 });
    expect(plain.peerChains[before]?.[0]).toBe(new X509Certificate(pki.clients.valid.certPem).fingerprint256);

    // The four deep intermediates are in no trust store: the server can only build the path from the
    // certificates the client sends, which come from the PKCS#12 file.
    const deep = pki.clients.chainTooDeep;
    const withChain = await toPkcs12(deep, 'p12-pass');
    const leafOnly = await toPkcs12(deep, 'p12-pass', { includeChain: false });
    expect(await call(plain.port, pki, { pfx: withChain, passphrase: 'p12-pass' })).toEqual({ status: 200 });
    expect((await call(plain.port, pki, { pfx: leafOnly, passphrase: 'p12-pass' })).status).toBeUndefined();
  });
});
