import 'reflect-metadata';
import { statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect as connectH2 } from 'node:http2';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestPki,
  findBinary,
  type Issued,
  type MtlsTerminator,
  startHaproxy,
  startNginx,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const binaries = { nginx: findBinary('nginx'), haproxy: findBinary('haproxy') };
for (const [name, path] of Object.entries(binaries)) {
  if (!path)
    console.warn(`skipping the ${name} tests: no ${name} executable in PATH, /usr/sbin or /usr/local/sbin`);
}

interface Outcome {
  status?: number;
  contentType?: string;
  body?: string;
  error?: NodeJS.ErrnoException;
}

/** One GET on a fresh connection; under TLS 1.3 a refusal only shows once the request is sent. */
function get(
  server: MtlsTerminator,
  pki: TestPki,
  path: string,
  client?: Issued,
  sendChain = false,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: server.host,
        port: server.port,
        path,
        servername: 'localhost',
        ca: pki.root.certPem,
        agent: false,
        timeout: 5000,
        ...(client ? { cert: client.certPem + (sendChain ? client.chainPem : ''), key: client.keyPem } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer within 5 s'), { code: 'TIMEOUT' })),
    );
    req.on('error', (error) => resolve({ error }));
    req.end();
  });
}

function expectRefused(outcome: Outcome, what: string): void {
  expect(outcome.status, `${what}: no HTTP answer`).toBeUndefined();
  expect(outcome.error?.code, `${what}: the connection failed`).toMatch(
    /^(ECONNRESET|EPIPE|EPROTO|ERR_SSL_)/,
  );
}

/** nginx's own refusal of a certificate it judged bad: its stock 400 page. */
function expectCertificateError(outcome: Outcome, what: string): void {
  expect(outcome.status, `${what}: nginx's 400`).toBe(400);
  expect(outcome.body, what).toContain('<title>400 The SSL certificate error</title>');
}

const starters = { nginx: startNginx, haproxy: startHaproxy } as const;

describe.each(['nginx', 'haproxy'] as const)('%s as an mTLS terminator', (name) => {
  describe.skipIf(!binaries[name]).each(['TLSv1.2', 'TLSv1.3'] as const)('%s', (version) => {
    let pki: TestPki;
    let server: MtlsTerminator;
    beforeAll(async () => {
      pki = await createTestPki();
      server = await starters[name]({
        server: pki.server,
        caPem: pki.trustStorePem,
        crlPem: [pki.crlPem, pki.rootCrlPem],
        tls: { minVersion: version, maxVersion: version },
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    test('valid client: 200 with the widgets JSON', async () => {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      expect(await get(server, pki, '/widgets', pki.clients.valid)).toEqual({
        status: 200,
        contentType: 'application/json',
        body: '[{"id":"1","value":"4.99"}]',
      });
      const one = await get(server, pki, '/widgets/1', pki.clients.valid);
      expect(JSON.parse(one.body ?? '')).toEqual({ id: '1', value: '4.99' });
      expect((await get(server, pki, '/nothing', pki.clients.valid)).status).toBe(404);
    });

    test(
      name === 'nginx'
        ? "revoked, foreign-CA, expired and certificate-less clients get nginx's stock 400 pages"
        : 'revoked, foreign-CA, expired and certificate-less clients are refused in TLS',
      async () => {
        const refused = {
          revoked: await get(server, pki, '/widgets', pki.clients.revoked),
          foreignCa: await get(server, pki, '/widgets', pki.clients.foreignCa, true),
          expired: await get(server, pki, '/widgets', pki.clients.expired),
          'no certificate': await get(server, pki, '/widgets'),
        };
        for (const [what, outcome] of Object.entries(refused)) {
          if (name === 'haproxy') {
            expectRefused(outcome, what);
            continue;
          }
          // nginx finishes the handshake and refuses at HTTP level (its internal 495 and 496).
          expect(outcome.status, what).toBe(400);
          expect(outcome.contentType, what).toBe('text/html');
          expect(outcome.body, what).toContain(
            what === 'no certificate'
              ? '<title>400 No required SSL certificate was sent</title>'
              : '<title>400 The SSL certificate error</title>',
          );
        }
      },
    );

    test('the server negotiated only the configured protocol', async () => {
      const other = version === 'TLSv1.2' ? 'TLSv1.3' : 'TLSv1.2';
      const outcome = await new Promise<Outcome>((resolve) => {
        const req = request(
          {
            host: server.host,
            port: server.port,
            servername: 'localhost',
            ca: pki.root.certPem,
            cert: pki.clients.valid.certPem,
            key: pki.clients.valid.keyPem,
            agent: false,
            minVersion: other,
            maxVersion: other,
          },
          (res) => resolve({ status: res.statusCode ?? 0 }),
        );
        req.on('error', (error) => resolve({ error }));
        req.end();
      });
      expect(outcome.status).toBeUndefined();
      expect(outcome.error?.code).toMatch(/^(ERR_SSL_|EPROTO|ECONNRESET)/);
    });

    test('its private key files are readable by the owner only', () => {
      expect(statSync(`${server.dir}/server.key`).mode & 0o777).toBe(0o600);
      expect(statSync(`${server.dir}/server.pem`).mode & 0o777).toBe(0o600);
    });
  });
});

describe.skipIf(!binaries.nginx)('nginx options', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  test("by default nginx answers a bad certificate with its own 400 (refusal 'http-400')", async () => {
    const server = await startNginx({
      server: pki.server,
      caPem: pki.trustStorePem,
      crlPem: [pki.crlPem, pki.rootCrlPem],
    });
    try {
      const revoked = await get(server, pki, '/widgets', pki.clients.revoked);
      expect(revoked.status).toBe(400);
      expect(revoked.body).toContain('The SSL certificate error');
      expect(await server.logs()).toContain('certificate revoked');
      expect((await get(server, pki, '/widgets')).body).toContain('No required SSL certificate was sent');
    } finally {
      await server.close();
    }
  });

  test("refusal 'close' drops the connection after the handshake without an answer", async () => {
    const server = await startNginx({
      server: pki.server,
      caPem: pki.trustStorePem,
      crlPem: [pki.crlPem, pki.rootCrlPem],
      refusal: 'close',
    });
    try {
      for (const client of [pki.clients.revoked, undefined]) {
        const outcome = await get(server, pki, '/widgets', client);
        expect(outcome.status).toBeUndefined();
        expect(outcome.error?.code).toBe('ECONNRESET');
      }
      expect((await get(server, pki, '/widgets', pki.clients.valid)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('http2: nginx offers h2 by ALPN and answers over it', async () => {
    const server = await startNginx({ server: pki.server, caPem: pki.trustStorePem, http2: true });
    const session = connectH2(server.url, {
      ca: pki.trustStorePem,
      cert: pki.clients.valid.certPem + pki.clients.valid.chainPem,
      key: pki.clients.valid.keyPem,
    });
    try {
      const { status, alpn } = await new Promise<{ status: unknown; alpn: unknown }>((resolve, reject) => {
        session.once('error', reject);
        const stream = session.request({ ':path': '/widgets' });
        stream.once('response', (headers) => {
          resolve({ status: headers[':status'], alpn: session.alpnProtocol });
          stream.close();
        });
        stream.once('error', reject);
        stream.end();
      });
      expect(alpn).toBe('h2');
      expect(status).toBe(200);
    } finally {
      session.close();
      await server.close();
    }
  });

  test('verifyDepth 4 refuses the deep chain, a larger depth accepts it', async () => {
    const [strict, lenient] = await Promise.all([
      startNginx({ server: pki.server, caPem: pki.trustStorePem }),
      startNginx({ server: pki.server, caPem: pki.trustStorePem, verifyDepth: 6 }),
    ]);
    try {
      expectCertificateError(
        await get(strict, pki, '/widgets', pki.clients.chainTooDeep, true),
        'chainTooDeep at depth 4',
      );
      expect((await get(lenient, pki, '/widgets', pki.clients.chainTooDeep, true)).status).toBe(200);
    } finally {
      await Promise.all([strict.close(), lenient.close()]);
    }
  });

  test('a stale CRL makes nginx refuse even the valid client', async () => {
    const server = await startNginx({
      server: pki.server,
      caPem: pki.trustStorePem,
      crlPem: [pki.staleCrlPem, pki.rootCrlPem],
    });
    try {
      expectCertificateError(
        await get(server, pki, '/widgets', pki.clients.valid),
        'valid under a stale CRL',
      );
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!binaries.haproxy)('haproxy without CRLs', () => {
  test('accepts the revoked client when no CRL is configured (the CRL is what refuses it)', async () => {
    const pki = await createTestPki();
    const server = await startHaproxy({ server: pki.server, caPem: pki.trustStorePem });
    try {
      expect((await get(server, pki, '/widgets', pki.clients.revoked)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('start-up errors', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });

  test('a CA without a CRL is named before anything starts', async () => {
    for (const start of [startNginx, startHaproxy]) {
      await expect(
        start({ server: pki.server, caPem: pki.trustStorePem, crlPem: pki.crlPem, binary: '/bin/true' }),
      ).rejects.toMatchObject({
        code: 'SERVER_CONFIG_INVALID',
        message: expect.stringContaining('no CRL issued by "CN=mtls-link test root CA'),
      });
    }
  });

  test('an inverted TLS range is refused', async () => {
    await expect(
      startHaproxy({
        server: pki.server,
        caPem: pki.trustStorePem,
        tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' },
        binary: '/bin/true',
      }),
    ).rejects.toMatchObject({ code: 'SERVER_CONFIG_INVALID', message: expect.stringMatching(/^tls: /) });
  });

  test('a binary that exits at once is reported with its exit status, and its folder is removed', async () => {
    // The server's folder (keys included) is made under os.tmpdir(): point that at an empty folder.
    const parent = await mkdtemp(join(tmpdir(), 'servers-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = parent;
    try {
      const error = await startNginx({
        server: pki.server,
        caPem: pki.trustStorePem,
        binary: '/bin/false',
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        code: 'SERVER_START_FAILED',
        message: expect.stringContaining('exited with status 1'),
      });
      expect(String((error as Error).message)).not.toContain('PRIVATE KEY');
      expect(await readdir(parent)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(parent, { recursive: true, force: true });
    }
  });
});
