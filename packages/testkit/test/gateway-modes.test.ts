import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { decodeMtlsHeader, type Gateway, type Issued, type TestPki } from '@mtls-link/testkit';
import { describe, expect, test } from 'vitest';
import { attempt, clientFlavours, gatewayFor, h2Get, testPki } from './gateway-fixtures.ts';

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  mtls: Record<string, string>;
}

function echo(
  gateway: Gateway,
  pki: TestPki,
  client: Issued | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; echo: Echo }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${gateway.url}/echo`,
      {
        method: 'POST',
        ca: pki.root.certPem,
        servername: 'localhost',
        agent: false,
        headers: { 'content-type': 'text/plain', ...headers },
        ...(client === undefined ? {} : { cert: client.certPem + client.chainPem, key: client.keyPem }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, echo: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end('hello');
  });
}

const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasOpenssl)
  console.warn('openssl CLI not found: the tests that use it as an independent oracle are skipped');

function opensslRfc2253(pem: string, field: 'subject' | 'issuer'): string {
  const out = spawnSync('openssl', ['x509', '-noout', `-${field}`, '-nameopt', 'RFC2253'], {
    input: pem,
    encoding: 'utf8',
  });
  return out.stdout.trim().replace(new RegExp(`^${field}=`), '');
}

/** Runs `openssl s_client` without blocking the event loop (the gateway runs in this process). */
function sClient(port: number): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-msg', '-connect', `127.0.0.1:${port}`, '-tls1_2'],
      { timeout: 10_000, encoding: 'utf8' },
      (_error, stdout) => resolve(stdout),
    );
    child.stdin?.end();
  });
}

function pemBlocks(text: string): Buffer[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]).raw,
  );
}

describe('mode verify: forwarded headers', () => {
  test('decode back to the very certificate the client presented', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const client = pki.clients.valid;
    const { status, echo: seen } = await echo(gateway, pki, client);
    expect(status).toBe(200);
    const mtls = seen.mtls;
    expect(Object.keys(mtls).sort()).toEqual([
      'X-Amzn-Mtls-Clientcert-Issuer',
      'X-Amzn-Mtls-Clientcert-Leaf',
      'X-Amzn-Mtls-Clientcert-Serial-Number',
      'X-Amzn-Mtls-Clientcert-Subject',
      'X-Amzn-Mtls-Clientcert-Validity',
    ]);
    const cert = new X509Certificate(client.certPem);
    const leaf = new X509Certificate(decodeMtlsHeader(mtls['X-Amzn-Mtls-Clientcert-Leaf'] as string));
    expect(leaf.raw.equals(cert.raw)).toBe(true);
    // URL-encoded, yet '+', '=' and '/' stay as they are.
    expect(mtls['X-Amzn-Mtls-Clientcert-Leaf']).toMatch(/^-----BEGIN%20CERTIFICATE-----%0A/);
    expect(mtls['X-Amzn-Mtls-Clientcert-Leaf']).not.toMatch(/%2B|%3D|%2F/);
    expect(mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(cert.serialNumber.toUpperCase());
    expect(mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(client.serialHex);
    expect(mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toMatch(/^[0-9A-F]+$/);
    // Node prints the name most-general first, one RDN a line; RFC 2253 is the reverse, comma-joined.
    expect(mtls['X-Amzn-Mtls-Clientcert-Subject']).toBe(cert.subject.split('\n').reverse().join(','));
    expect(mtls['X-Amzn-Mtls-Clientcert-Issuer']).toBe(cert.issuer.split('\n').reverse().join(','));
    const noMillis = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
    expect(mtls['X-Amzn-Mtls-Clientcert-Validity']).toBe(
      `NotBefore=${noMillis(cert.validFromDate)};NotAfter=${noMillis(cert.validToDate)}`,
    );
    // The backend sees them as request headers too.
    expect(seen.headers['x-amzn-mtls-clientcert-serial-number']).toBe(client.serialHex);
  });

  test.skipIf(!hasOpenssl)('Subject and Issuer match OpenSSL -nameopt RFC2253', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    for (const flavour of ['valid', 'rsa2048', 'ecP384'] as const) {
      const client = pki.clients[flavour];
      const { echo: seen } = await echo(gateway, pki, client);
      expect(seen.mtls['X-Amzn-Mtls-Clientcert-Subject']).toBe(opensslRfc2253(client.certPem, 'subject'));
      expect(seen.mtls['X-Amzn-Mtls-Clientcert-Issuer']).toBe(opensslRfc2253(client.certPem, 'issuer'));
    }
  });

  test('a client cannot spoof the mTLS headers', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const { echo: seen } = await echo(gateway, pki, pki.clients.valid, {
      'X-Amzn-Mtls-Clientcert-Subject': 'CN=admin',
      'X-Amzn-Mtls-Clientcert': 'forged',
    });
    expect(seen.headers['x-amzn-mtls-clientcert-subject']).not.toBe('CN=admin');
    expect(seen.headers['x-amzn-mtls-clientcert']).toBeUndefined();
  });
});

describe('renamed headers (listener attributes x_amzn_mtls_clientcert*.header_name)', () => {
  test('verify and passthrough forward under the new names only, and a client cannot spoof them', async () => {
    const pki = await testPki();
    const client = pki.clients.valid;
    const verify = await gatewayFor(pki, {
      headerNames: { subject: 'X-Client-Subject', leaf: 'X-Client-Leaf' },
    });
    const { echo: verified } = await echo(verify, pki, client, { 'X-Client-Subject': 'CN=admin' });
    expect(Object.keys(verified.mtls).sort()).toEqual([
      'X-Amzn-Mtls-Clientcert-Issuer',
      'X-Amzn-Mtls-Clientcert-Serial-Number',
      'X-Amzn-Mtls-Clientcert-Validity',
      'X-Client-Leaf',
      'X-Client-Subject',
    ]);
    expect(verified.headers['x-client-subject']).toBe('O=mtls-link testkit,CN=client valid');
    expect(verified.headers['x-amzn-mtls-clientcert-subject']).toBeUndefined();
    const leaf = new X509Certificate(decodeMtlsHeader(verified.headers['x-client-leaf'] as string));
    expect(leaf.raw.equals(new X509Certificate(client.certPem).raw)).toBe(true);

    const passthrough = await gatewayFor(pki, {
      mode: 'passthrough',
      headerNames: { clientCert: 'X-Chain' },
    });
    const { echo: passed } = await echo(passthrough, pki, client, { 'X-Amzn-Mtls-Clientcert': 'forged' });
    expect(Object.keys(passed.mtls)).toEqual(['X-Chain']);
    expect(passed.headers['x-amzn-mtls-clientcert']).toBeUndefined();
    expect(pemBlocks(decodeMtlsHeader(passed.headers['x-chain'] as string))).toEqual(
      pemBlocks(client.certPem + client.chainPem),
    );
    // Without a certificate nothing is forwarded, so a client-sent copy must not survive either.
    const { echo: anonymous } = await echo(passthrough, pki, undefined, { 'X-Chain': 'forged' });
    expect(anonymous.headers['x-chain']).toBeUndefined();
  });
});

describe('mode passthrough', () => {
  test('accepts any certificate and forwards the whole presented chain, leaf first', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { mode: 'passthrough' });
    for (const flavour of ['foreignCa', 'expired', 'valid'] as const) {
      const client = pki.clients[flavour];
      const { status, echo: seen } = await echo(gateway, pki, client);
      expect(status).toBe(200);
      expect(Object.keys(seen.mtls)).toEqual(['X-Amzn-Mtls-Clientcert']);
      const forwarded = pemBlocks(decodeMtlsHeader(seen.mtls['X-Amzn-Mtls-Clientcert'] as string));
      const presented = pemBlocks(client.certPem + client.chainPem);
      expect(forwarded.map((d) => d.toString('hex'))).toEqual(presented.map((d) => d.toString('hex')));
    }
    const { status, echo: anonymous } = await echo(gateway, pki, undefined);
    expect(status).toBe(200);
    expect(anonymous.mtls).toEqual({});
    expect(gateway.connectionLog.map((e) => e.tlsVerifyStatus)).toEqual(['-', '-', '-', '-']);
    expect(gateway.connectionLog[0]?.leafClientCertSubject).toBe('O=mtls-link testkit,CN=client foreign CA');
  });
});

describe('mode off', () => {
  test('serves without client certificates and forwards no mTLS header', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { mode: 'off' });
    const { status, echo: seen } = await echo(gateway, pki, pki.clients.valid);
    expect(status).toBe(200);
    expect(seen.mtls).toEqual({});
    expect(gateway.connectionLog[0]?.leafClientCertSubject).toBe('-');
  });

  test.skipIf(!hasOpenssl)(
    'sends no CertificateRequest; passthrough and verify do (openssl s_client)',
    async () => {
      const pki = await testPki();
      const requested: Record<string, boolean> = {};
      for (const mode of ['off', 'passthrough', 'verify'] as const) {
        const gateway = await gatewayFor(pki, { mode, tls: { maxVersion: 'TLSv1.2' } });
        // -msg prints each handshake message received, e.g. "<<< TLS 1.2, Handshake [...], CertificateRequest".
        requested[mode] = /<<< .*CertificateRequest/.test(await sClient(gateway.port));
      }
      expect(requested).toEqual({ off: false, passthrough: true, verify: true });
    },
  );

  test.skipIf(!hasOpenssl)(
    'advertiseTrustStoreCaNames lists the trust store CAs in the CertificateRequest',
    async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, {
        advertiseTrustStoreCaNames: true,
        tls: { maxVersion: 'TLSv1.2' },
      });
      const out = await sClient(gateway.port);
      expect(out).toContain('Acceptable client certificate CA names');
      expect(out).toContain('mtls-link test root CA');
      expect(out).toContain('mtls-link test intermediate CA');
    },
  );
});

describe('connection log', () => {
  test('one line per connection with the ALB code for each certificate flavour', async () => {
    const pki = await testPki();
    const lines: string[] = [];
    const gateway = await gatewayFor(pki, { onConnectionLog: (line) => lines.push(line) });
    const expected: Record<string, string> = {
      valid: 'Success',
      expired: 'Failed:ClientCertExpired',
      notYetValid: 'Failed:ClientCertNotYetValid',
      revoked: 'Failed:ClientCertCrlHit',
      foreignCa: 'Failed:ClientCertUntrusted',
      serverAuthOnly: 'Failed:ClientCertPurposeInvalid',
      rsa1024: 'Failed:ClientCertTypeUnsupported',
      chainTooDeep: 'Failed:ClientCertMaxChainDepthExceeded',
      rsa2048: 'Success',
      rsa4096: 'Success',
      ecP256: 'Success',
      ecP384: 'Success',
      none: 'Failed:UnmappedConnectionError',
    };
    for (const flavour of [...clientFlavours, 'none'] as const) {
      const client = flavour === 'none' ? undefined : pki.clients[flavour];
      const seen = await attempt(gateway, pki, client);
      expect({ flavour, signal: seen.signal }).toEqual({
        flavour,
        signal: expected[flavour] === 'Success' ? 'answer' : 'reset',
      });
    }
    const statuses = gateway.connectionLog.map((e) => e.tlsVerifyStatus);
    expect(statuses).toEqual(Object.values(expected));
    expect(lines).toHaveLength(statuses.length);
    // timestamp client_ip client_port listener_port tls_protocol tls_cipher tls_handshake_latency
    // "leaf_client_cert_subject" leaf_client_cert_validity leaf_client_cert_serial_number
    // tls_verify_status conn_trace_id tls_keyexchange elb ip_address
    const shape =
      /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) 127\.0\.0\.1 (\d+) (\d+) (TLSv1\.[23]) (\S+) (\d+\.\d{3}) "([^"]*)" (\S+) (\S+) (\S+) (TID_[0-9a-f]{32}) (\S+) (app\/\S+) 127\.0\.0\.1$/;
    const [first, , , revokedLine, , , , , , , , , noneLine] = lines;
    const valid = shape.exec(first ?? '');
    expect(valid, first).not.toBeNull();
    expect(valid?.[3]).toBe(String(gateway.port));
    expect(valid?.[7]).toBe('O=mtls-link testkit,CN=client valid');
    expect(valid?.[8]).toMatch(/^NotBefore=\S+Z;NotAfter=\S+Z$/);
    expect(valid?.[9]).toBe(pki.clients.valid.serialHex);
    expect(valid?.[10]).toBe('Success');
    expect(shape.exec(revokedLine ?? '')?.[10]).toBe('Failed:ClientCertCrlHit');
    expect(shape.exec(revokedLine ?? '')?.[9]).toBe(pki.clients.revoked.serialHex);
    const none = shape.exec(noneLine ?? '');
    expect(none?.slice(7, 11)).toEqual(['-', '-', '-', 'Failed:UnmappedConnectionError']);
  });

  test('a connection that fails the TLS policy is logged too', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { tls: { minVersion: 'TLSv1.3' } });
    const seen = await attempt(gateway, pki, pki.clients.valid, { version: 'TLSv1.2' });
    expect(seen.signal).toBe('alert');
    expect(seen.errorCode).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    await expect.poll(() => gateway.connectionLog.length).toBe(1);
    expect(gateway.connectionLog[0]).toMatchObject({
      tlsProtocol: '-',
      tlsVerifyStatus: 'Failed:UnmappedConnectionError',
    });
  });
});

describe('trust store and expiry settings', () => {
  test('ignoreClientCertificateExpiry accepts expired and not-yet-valid certificates, also switched live', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { ignoreClientCertificateExpiry: true });
    expect((await attempt(gateway, pki, pki.clients.expired)).signal).toBe('answer');
    expect((await attempt(gateway, pki, pki.clients.notYetValid)).signal).toBe('answer');
    // Revocation still applies.
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('reset');
    gateway.update({ ignoreClientCertificateExpiry: false });
    expect((await attempt(gateway, pki, pki.clients.expired)).signal).toBe('reset');
    expect(gateway.connectionLog.map((e) => e.tlsVerifyStatus)).toEqual([
      'Success',
      'Success',
      'Failed:ClientCertCrlHit',
      'Failed:ClientCertExpired',
    ]);
  });

  test('setTrustStore reloads CAs and CRLs for new connections', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { trustStore: { caPem: pki.foreignRoot.certPem } });
    expect((await attempt(gateway, pki, pki.clients.valid)).signal).toBe('reset');
    expect((await attempt(gateway, pki, pki.clients.foreignCa)).signal).toBe('answer');
    gateway.setTrustStore({ caPem: pki.trustStorePem });
    expect((await attempt(gateway, pki, pki.clients.valid)).signal).toBe('answer');
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('answer');
    gateway.setTrustStore({ caPem: pki.trustStorePem, crlPems: [pki.crlPem] });
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('reset');
    expect(gateway.connectionLog.map((e) => e.tlsVerifyStatus)).toEqual([
      'Failed:ClientCertUntrusted',
      'Success',
      'Success',
      'Success',
      'Failed:ClientCertCrlHit',
    ]);
    expect(() => gateway.setTrustStore({ caPem: 'not a pem' })).toThrow(/trustStore.caPem/);
  });
});

describe('handshakes and protocols', () => {
  test('no TLS session is resumed: every connection is a full handshake', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const client = pki.clients.valid;
    const open = (session?: Buffer) =>
      new Promise<{ reused: boolean; session: Buffer | undefined }>((resolve, reject) => {
        let saved: Buffer | undefined;
        let reused = true;
        const socket: TLSSocket = connectTls({
          host: '127.0.0.1',
          port: gateway.port,
          servername: 'localhost',
          ca: pki.root.certPem,
          cert: client.certPem + client.chainPem,
          key: client.keyPem,
          ...(session === undefined ? {} : { session }),
        });
        socket.on('session', (s: Buffer) => {
          saved = s;
        });
        socket.on('secureConnect', () => {
          reused = socket.isSessionReused();
          socket.write('GET /widgets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        });
        socket.on('data', () => {});
        socket.on('error', reject);
        socket.on('close', () => resolve({ reused, session: saved }));
      });
    const first = await open();
    const second = await open(first.session);
    expect(second.reused).toBe(false);
    expect(gateway.handshakes()).toBe(2);
  });

  test('with alpn [h2, http/1.1] an HTTP/2 client gets the API and the mTLS headers', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { tls: { alpn: ['h2', 'http/1.1'] } });
    const client = pki.clients.valid;
    const answer = await h2Get(gateway, pki, '/echo');
    expect(answer.status).toBe(200);
    expect(answer.headers['x-amzn-requestid']).toBeTypeOf('string');
    const seen = JSON.parse(answer.body) as Echo;
    expect(seen.mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(client.serialHex);
    // The ALB forwards HTTP/1.1 to its target: a Host header, no HTTP/2 pseudo-headers.
    expect(seen.headers.host).toMatch(new RegExp(`^(localhost|127\\.0\\.0\\.1):${gateway.port}$`));
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([]);
    // The same listener still speaks HTTP/1.1 to clients that ask for it.
    expect((await attempt(gateway, pki, client)).response).toMatch(/^HTTP\/1\.1 200/);
  });
});
