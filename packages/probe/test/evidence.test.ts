import { createServer as createHttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, isMtlsLinkError, type MtlsLinkError, readIdentity } from '@mtls-link/sdk';
import { createTestPki, type Gateway, type Issued, startGateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeOptions } from '../src/index.ts';
import { runProbe } from '../src/index.ts';
import type { CheckId, ProbeResult } from '../src/result.ts';
import { ensureBuilt, runCli } from './helpers/built-cli.ts';
import { type PkiFiles, writePki } from './helpers/pki-files.ts';
import { type SmallServer, type SmallServerOptions, startSmallServer } from './helpers/small-tls-servers.ts';

// Every verdict here rests on what the wire showed, against servers the probe did not write: Node
// servers with a slow API, HTTP-level refusals and API Gateway error shapes. For each server the
// probe passes against, an SDK call with default options succeeds; for each refusal, both name the
// same code.

let pki: TestPki;
let files: PkiFiles;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  files = writePki(pki);
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  files?.remove();
});

async function small(options: Omit<SmallServerOptions, 'server' | 'caPem'>): Promise<SmallServer> {
  const server = await startSmallServer({ server: pki.server, caPem: pki.trustStorePem, ...options });
  servers.push(server);
  return server;
}

function identity(issued: Issued) {
  return readIdentity(
    {
      secretString: JSON.stringify({
        certificate: issued.certPem,
        privateKey: issued.keyPem,
        certificateChain: issued.chainPem,
      }),
      source: 'test',
    },
    { validate: false },
  );
}

function probe(
  url: string,
  issued: Issued | undefined,
  extra: Partial<ProbeOptions> = {},
): Promise<ProbeResult> {
  const creds = issued === undefined ? undefined : files.identity(`id-${issued.serialHex}`, issued);
  return runProbe({
    url,
    caFiles: [files.ca],
    ...(creds === undefined
      ? {}
      : { credentials: { kind: 'files', certFile: creds.cert, keyFile: creds.key } }),
    ...extra,
  });
}

function check(result: ProbeResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

/** One SDK request; the error (or undefined on success) and the client's counters. */
async function sdkCall(url: string, issued: Issued, options: { headersMs?: number; path?: string } = {}) {
  const client = createClient({
    baseUrl: url,
    identity: identity(issued),
    ca: pki.root.certPem,
    retry: false,
    ...(options.headersMs === undefined ? {} : { timeouts: { headers: options.headersMs } }),
  });
  try {
    const response = await client.request({ method: 'GET', path: options.path ?? '/widgets' });
    return { status: response.status, error: undefined, stats: client.stats() };
  } catch (error) {
    if (!isMtlsLinkError(error)) throw error;
    return { status: undefined, error: error as MtlsLinkError, stats: client.stats() };
  } finally {
    await client.close();
  }
}

const json = (
  response: { writeHead(s: number, h: Record<string, string>): unknown; end(b: string): unknown },
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1', ...headers });
  response.end(JSON.stringify(body));
};

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('a slow API (answers after 1.5 s) over %s', (version) => {
  for (const h2 of [false, true]) {
    test(`${h2 ? 'h2' : 'HTTP/1.1'}: a slow answer is a slow answer, never a refusal`, async () => {
      const server = await small({
        version,
        h2,
        requireCertificate: true,
        handler: async (_request, response) => {
          await sleep(1500);
          json(response, 200, [{ id: '1' }]);
        },
      });
      const url = `${server.url}/widgets`;
      // Default response deadline (30 s): everything passes, and the SDK with defaults works too.
      const patient = await probe(url, pki.clients.valid);
      for (const id of ['tls.no-client-cert', 'tls.client-cert', 'http.response'] as const) {
        expect(check(patient, id).status, id).toBe('pass');
      }
      expect(check(patient, 'http.response').details.alpn).toBe(h2 ? 'h2' : 'http/1.1');
      expect((await sdkCall(url, pki.clients.valid)).status).toBe(200);

      // A deadline shorter than the API: the certificate was still accepted (on evidence), the
      // answer was late; the SDK says the same and forces no identity refresh.
      const hurried = await probe(url, pki.clients.valid, { responseTimeoutMs: 500 });
      expect(check(hurried, 'tls.client-cert').status).toBe('pass');
      expect(check(hurried, 'http.response')).toMatchObject({ status: 'fail', code: 'TIMEOUT_HEADERS' });
      const late = await sdkCall(url, pki.clients.valid, { headersMs: 500 });
      expect(late.error?.code).toBe('TIMEOUT_HEADERS');
      expect(late.error?.details.suspectedRefusal).toBe(false);
      expect(late.error?.details.acceptedBy).toBeTypeOf('string');
      expect(late.stats.forcedRefreshes).toBe(0);
    });
  }
});

describe('a backend that enforces at HTTP level (401/403 without a certificate)', () => {
  test('401 only without a certificate: enforced by the backend, a warning; the SDK call works', async () => {
    const server = await small({
      version: 'TLSv1.3',
      requireCertificate: false,
      handler: (_request, response, facts) =>
        facts.authorized ? json(response, 200, []) : json(response, 401, { message: 'Unauthorized' }),
    });
    const result = await probe(`${server.url}/widgets`, pki.clients.valid);
    expect(check(result, 'tls.no-client-cert')).toMatchObject({
      status: 'warn',
      code: 'MTLS_ENFORCED_BY_BACKEND',
    });
    expect(check(result, 'tls.no-client-cert').summary).toContain('not by the TLS listener');
    expect(check(result, 'tls.client-cert').status).toBe('pass');
    expect(check(result, 'http.response').status).toBe('pass');
    expect((await sdkCall(server.url, pki.clients.valid)).status).toBe(200);
  });

  test('403 with or without a certificate: mTLS is not enforced, and probe and SDK name the same refusal', async () => {
    const server = await small({
      version: 'TLSv1.3',
      requireCertificate: false,
      handler: (_request, response) =>
        json(response, 403, {
          Message: 'User is not authorized to access this resource with an explicit deny',
        }),
    });
    const result = await probe(`${server.url}/widgets`, pki.clients.valid);
    expect(check(result, 'tls.no-client-cert')).toMatchObject({ status: 'fail', code: 'MTLS_NOT_ENFORCED' });
    expect(check(result, 'http.response')).toMatchObject({ status: 'fail', code: 'HTTP_UNAUTHORIZED' });
    expect((await sdkCall(server.url, pki.clients.valid)).error?.code).toBe('HTTP_UNAUTHORIZED');
  });

  test('without credentials a 401 is inconclusive, not "not enforced"', async () => {
    const server = await small({
      version: 'TLSv1.3',
      requireCertificate: false,
      handler: (_request, response, facts) =>
        facts.authorized ? json(response, 200, []) : json(response, 401, { message: 'Unauthorized' }),
    });
    const result = await probe(`${server.url}/widgets`, undefined, { expectStatus: 401 });
    expect(check(result, 'tls.no-client-cert')).toMatchObject({ status: 'warn', code: 'MTLS_UNCONFIRMED' });
  });
});

describe("the request exchanges go out beside tls.server's handshake", () => {
  test('when tls.server fails, they are abandoned at the end of the run, not left waiting for an answer', async () => {
    // A server that takes any connection and never answers, behind a certificate the probe does not trust.
    const server = await small({ version: 'TLSv1.3', requireCertificate: false, handler: () => {} });
    const result = await probe(`${server.url}/widgets`, pki.clients.valid, {
      caFiles: [files.write('foreign-root.pem', pki.foreignRoot.certPem)],
      responseTimeoutMs: 60_000,
    });
    expect(check(result, 'tls.server')).toMatchObject({ status: 'fail', code: 'TLS_SERVER_UNTRUSTED' });
    for (const id of ['tls.no-client-cert', 'tls.client-cert', 'http.response'] as const) {
      expect(check(result, id).status).toBe('skip');
    }
    // Both requests had gone out (without and with the certificate); the run closed their connections
    // as it ended instead of waiting out the 60 s response deadline.
    expect(server.seen).toHaveLength(2);
    await expect.poll(() => server.openConnections(), { timeout: 5_000 }).toBe(0);
  });
});

describe('API Gateway answers: each shape gets its own code, the same in the probe and the SDK', () => {
  const shapes: [string, number, Record<string, string>, unknown, string][] = [
    [
      '/policy',
      403,
      { 'x-amzn-errortype': 'AccessDeniedException' },
      {
        Message:
          'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-2:111122223333:a1b2c3/prod/GET/widgets with an explicit deny',
      },
      'HTTP_ACCESS_DENIED',
    ],
    [
      '/authorizer-deny',
      403,
      { 'x-amzn-errortype': 'AccessDeniedException' },
      { Message: 'User is not authorized to access this resource with an explicit deny' },
      'HTTP_UNAUTHORIZED',
    ],
    [
      '/authorizer-401',
      401,
      { 'x-amzn-errortype': 'UnauthorizedException' },
      { message: 'Unauthorized' },
      'HTTP_UNAUTHORIZED',
    ],
    [
      '/no-route',
      403,
      { 'x-amzn-errortype': 'ForbiddenException' },
      { message: 'Missing Authentication Token' },
      'HTTP_MISSING_AUTH_TOKEN',
    ],
    ['/waf', 403, { 'x-amzn-errortype': 'ForbiddenException' }, { message: 'Forbidden' }, 'HTTP_FORBIDDEN'],
    [
      '/endpoint-policy',
      403,
      { 'x-amzn-errortype': 'IncompleteSignatureException' },
      { message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header." },
      'HTTP_ENDPOINT_POLICY_DENIED',
    ],
  ];
  let server: SmallServer;
  beforeAll(async () => {
    server = await small({
      version: 'TLSv1.3',
      requireCertificate: true,
      handler: (request, response) => {
        const shape = shapes.find(([path]) => path === request.url);
        if (shape === undefined) json(response, 404, {});
        else json(response, shape[1], shape[3], shape[2]);
      },
    });
  });

  test.each(shapes)('%s → %i', async (path, _status, _headers, _body, code) => {
    const result = await probe(`${server.url}${path}`, pki.clients.valid);
    expect(check(result, 'tls.client-cert').status).toBe('pass');
    expect(check(result, 'http.response')).toMatchObject({ status: 'fail', code });
    expect((await sdkCall(server.url, pki.clients.valid, { path })).error?.code).toBe(code);
  });
});

describe("request fidelity: the user's headers replace the probe's own", () => {
  test("--header 'Host: …' sends exactly that one Host (the execute-api endpoint without private DNS)", async () => {
    const server = await small({
      version: 'TLSv1.3',
      requireCertificate: true,
      handler: (_request, response) => json(response, 200, []),
    });
    const host = 'a1b2c3.execute-api.eu-west-2.amazonaws.com';
    const creds = files.identity('host-client', pki.clients.valid);
    const run = await runCli([
      'check',
      `${server.url}/widgets`,
      '--ca',
      files.ca,
      '--cert',
      creds.cert,
      '--key',
      creds.key,
      '--header',
      `Host: ${host}`,
      '--header',
      'Connection: close',
      '--format',
      'json',
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(server.seen.length).toBeGreaterThan(0);
    for (const raw of server.seen) {
      const hosts = raw.filter((_, i) => i % 2 === 0 && raw[i]?.toLowerCase() === 'host').length;
      const value = raw[raw.findIndex((name) => name.toLowerCase() === 'host') + 1];
      expect(hosts).toBe(1);
      expect(value).toBe(host);
      expect(
        raw.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'connection').length,
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe('revocation evidence: only a refusal of an otherwise acceptable certificate proves revocation', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
      refusal: { style: 'reset' },
    });
    servers.push(gateway);
  });

  const revokedOptions = (issued: Issued, name: string) => {
    const f = files.identity(name, issued);
    return { revokedCertFile: f.cert, revokedKeyFile: f.key, trustStoreFile: files.trustStore };
  };

  test('the revoked certificate, refused by a reset (no alert): pass, it is otherwise acceptable', async () => {
    const result = await probe(gateway.url, pki.clients.valid, revokedOptions(pki.clients.revoked, 'rev'));
    expect(check(result, 'revocation.enforced').status).toBe('pass');
    expect(check(result, 'revocation.enforced').summary).toContain('otherwise acceptable');
  });

  test.each([
    ['an expired certificate', 'expired', 'CLIENT_CERT_EXPIRED'],
    ['a certificate from a foreign CA', 'foreignCa', 'CLIENT_CERT_UNTRUSTED'],
  ] as const)(
    '%s given as --revoked-cert: refused, but nothing was learnt (REVOCATION_UNCONFIRMED)',
    async (_, flavour, reason) => {
      const result = await probe(
        gateway.url,
        pki.clients.valid,
        revokedOptions(pki.clients[flavour], flavour),
      );
      expect(check(result, 'revocation.enforced')).toMatchObject({
        status: 'warn',
        code: 'REVOCATION_UNCONFIRMED',
      });
      expect(check(result, 'revocation.enforced').summary).toContain(reason);
    },
  );

  test('revocation.enforced is skipped when the good certificate is not accepted', async () => {
    const result = await probe(gateway.url, pki.clients.expired, revokedOptions(pki.clients.revoked, 'rev2'));
    expect(check(result, 'tls.client-cert').status).toBe('fail');
    expect(check(result, 'revocation.enforced').status).toBe('skip');
  });
});

describe('the gateway as the ALB behaves (TLS 1.3, h2 offered): a reset refuses, blinded silence is unknown, SETTINGS prove acceptance', () => {
  let blinded: Gateway;
  let slow: Gateway;
  let refusing: Gateway;
  beforeAll(async () => {
    // The API behind the ALB, plain HTTP as the gateway's upstream: it takes 1.5 s to answer.
    const upstream = createHttpServer(async (_request, response) => {
      await sleep(1500);
      json(response, 200, []);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => upstream.close(() => resolve())) });
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const base = {
      mode: 'verify' as const,
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
      tls: { minVersion: 'TLSv1.3' as const },
    };
    [blinded, slow, refusing] = await Promise.all([
      startGateway({ ...base, refusal: { blinding: { minMs: 20_000, maxMs: 20_000 } } }),
      startGateway({ ...base, upstream: upstreamUrl }),
      startGateway(base),
    ]);
    servers.push(blinded, slow, refusing);
  });

  test('a reset after the handshake: MTLS_REJECTED (reset) in the probe and in the SDK', async () => {
    const result = await probe(`${refusing.url}/widgets`, pki.clients.revoked);
    expect(check(result, 'tls.client-cert')).toMatchObject({ status: 'fail', code: 'MTLS_REJECTED' });
    expect(check(result, 'tls.client-cert').details.signal).toBe('reset');
    expect(check(result, 'tls.no-client-cert').status).toBe('pass');
    const sdk = await sdkCall(refusing.url, pki.clients.revoked);
    expect(sdk.error?.code).toBe('MTLS_REJECTED');
    expect(sdk.error?.details.signal).toBe('reset');
  });

  test('blinded silence: MTLS_UNCONFIRMED in the probe, TIMEOUT_HEADERS suspecting a refusal in the SDK', async () => {
    const result = await probe(`${blinded.url}/widgets`, pki.clients.revoked, { responseTimeoutMs: 800 });
    expect(check(result, 'tls.client-cert')).toMatchObject({ status: 'warn', code: 'MTLS_UNCONFIRMED' });
    expect(check(result, 'tls.no-client-cert')).toMatchObject({ status: 'warn', code: 'MTLS_UNCONFIRMED' });
    const sdk = await sdkCall(blinded.url, pki.clients.revoked, { headersMs: 800 });
    expect(sdk.error?.code).toBe('TIMEOUT_HEADERS');
    expect(sdk.error?.details.suspectedRefusal).toBe(true);
    expect(sdk.stats.forcedRefreshes).toBe(0);
  });

  test('a slow API behind it: evidence (SETTINGS, a ticket) proves acceptance, the answer is late', async () => {
    const result = await probe(`${slow.url}/widgets`, pki.clients.valid, { responseTimeoutMs: 800 });
    expect(check(result, 'tls.client-cert').status).toBe('pass');
    expect(check(result, 'http.response')).toMatchObject({ status: 'fail', code: 'TIMEOUT_HEADERS' });
    const sdk = await sdkCall(slow.url, pki.clients.valid, { headersMs: 800 });
    expect(sdk.error?.code).toBe('TIMEOUT_HEADERS');
    // The gateway (a Node TLS server) also sends TLS 1.3 session tickets after accepting: whichever
    // arrives first is the evidence recorded.
    expect(sdk.error?.details.suspectedRefusal).toBe(false);
    expect(['h2-settings', 'session-ticket']).toContain(sdk.error?.details.acceptedBy);
    // With the defaults (30 s) both get the answer.
    expect(check(await probe(`${slow.url}/widgets`, pki.clients.valid), 'http.response').status).toBe('pass');
    expect((await sdkCall(slow.url, pki.clients.valid)).status).toBe(200);
  });
});
