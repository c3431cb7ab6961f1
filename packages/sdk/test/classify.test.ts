import { Resolver } from 'node:dns';
import type { LookupFunction } from 'node:net';
import {
  createTestPki,
  type Issued,
  type LocalDnsServer,
  startDnsServer,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { classifyFailure, classifyHttpResponse } from '../src/diagnostics.ts';
import type { ClientIdentity } from '../src/identity/types.ts';
import { type ClientOptions, createClient, isMtlsLinkError, type MtlsLinkError } from '../src/index.ts';
import {
  freePort,
  identityOf,
  json,
  type LocalServer,
  startPlainHttpServer,
  startSilentTcpServer,
  startTlsServer,
  type TlsVersion,
} from './fixtures/small-servers.ts';

let pki: TestPki;
let valid: ClientIdentity;
let expiredServer: Issued;
const servers: LocalServer[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  valid = identityOf(pki.clients.valid);
  const day = 86_400_000;
  expiredServer = await pki.intermediate.issueServer({
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    notBefore: new Date(Date.now() - 10 * day),
    notAfter: new Date(Date.now() - day),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function keep<T extends LocalServer>(server: Promise<T>): Promise<T> {
  const started = await server;
  servers.push(started);
  return started;
}

/** Runs one request with a fresh client and returns the error it failed with. */
async function failure(
  url: string,
  options: Partial<ClientOptions> = {},
  path = '/widgets',
  method = 'GET',
): Promise<MtlsLinkError> {
  const client = createClient({
    baseUrl: url,
    identity: valid,
    ca: pki.trustStorePem,
    retry: false,
    ...options,
  });
  try {
    await client.request({ method, path });
  } catch (error) {
    if (!isMtlsLinkError(error)) throw new Error(`not an MtlsLinkError: ${String(error)}`, { cause: error });
    return error;
  } finally {
    await client.close();
  }
  throw new Error('the request succeeded');
}

function expectNoKeyMaterial(error: MtlsLinkError): void {
  const text = `${error.message} ${JSON.stringify(error.details)} ${error.hint}`;
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toContain(pki.clients.valid.keyPem.split('\n')[1]);
}

describe.each<TlsVersion>(['TLSv1.2', 'TLSv1.3'])('against node:https over %s', (version) => {
  test('an untrusted server certificate is TLS_SERVER_UNTRUSTED', async () => {
    const server = await keep(
      startTlsServer({ server: pki.server, version, handler: (_q, res) => json(res, 200, []) }),
    );
    // No `ca`: the system roots, which do not hold the test root.
    const client = createClient({ baseUrl: server.url, identity: valid, retry: false });
    const error = await client.GET('/widgets').then(
      () => undefined,
      (e: unknown) => e as MtlsLinkError,
    );
    await client.close();
    expect(error?.code).toBe('TLS_SERVER_UNTRUSTED');
    expect(error?.hop).toBe('tls-server');
    expect(error?.message).toContain(`127.0.0.1:${server.port}`);
    expect(error?.message).toContain('SNI 127.0.0.1');
  });

  test('a server certificate for another name is TLS_HOSTNAME_MISMATCH', async () => {
    const server = await keep(
      startTlsServer({ server: pki.server, version, handler: (_q, res) => json(res, 200, []) }),
    );
    const error = await failure(server.url, { servername: 'other.example.net' });
    expect(error.code).toBe('TLS_HOSTNAME_MISMATCH');
    expect(error.message).toContain('other.example.net');
  });

  test('an expired server certificate is TLS_SERVER_EXPIRED', async () => {
    const server = await keep(
      startTlsServer({ server: expiredServer, version, handler: (_q, res) => json(res, 200, []) }),
    );
    const error = await failure(server.url);
    expect(error.code).toBe('TLS_SERVER_EXPIRED');
  });

  // node:https verifies in JavaScript and then drops the socket, so the client sees the connection end
  // during the TLS 1.2 handshake, or right after the TLS 1.3 one: both are refusals.
  test('a client certificate from a foreign CA is refused: MTLS_REJECTED', async () => {
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version,
        clientCaPem: pki.trustStorePem,
        handler: (_q, res) => json(res, 200, []),
      }),
    );
    const error = await failure(server.url, { identity: identityOf(pki.clients.foreignCa) });
    expect(error.code).toBe('MTLS_REJECTED');
    expect(error.hop).toBe('tls-client');
    expect(error.details).toMatchObject({
      signal: 'close',
      protocol: version,
    });
    expect(error.message).toContain(
      version === 'TLSv1.2' ? 'during the TLS 1.2 handshake' : 'right after the TLS 1.3 handshake',
    );
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expectNoKeyMaterial(error);
  });

  test('a server that never sends headers on a used connection is TIMEOUT_HEADERS naming the timeout', async () => {
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version,
        handler: (_q, res, _s, index) => {
          if (index === 0) json(res, 200, []);
        },
      }),
    );
    const client = createClient({
      baseUrl: server.url,
      identity: valid,
      ca: pki.trustStorePem,
      retry: false,
      connections: 1,
      timeouts: { headers: 300 },
    });
    await client.GET('/widgets');
    const started = performance.now();
    const error = (await client.GET('/widgets').catch((e: unknown) => e)) as MtlsLinkError;
    await client.close();
    expect(error.code).toBe('TIMEOUT_HEADERS');
    expect(error.message).toContain('headers timeout');
    expect(error.message).toContain('300 ms');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('a body that stalls is TIMEOUT_BODY', async () => {
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version,
        handler: (_q, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('[{"id":');
        },
      }),
    );
    const error = await failure(server.url, { timeouts: { body: 300 } });
    expect(error.code).toBe('TIMEOUT_BODY');
    expect(error.details).toMatchObject({ timeout: 'body', timeoutMs: 300 });
  });

  test('a connection that already answered and then drops is REQUEST_FAILED, not a refusal', async () => {
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version,
        handler: (_q, res, socket, index) => {
          if (index === 0) json(res, 200, []);
          else socket.destroy();
        },
      }),
    );
    const client = createClient({
      baseUrl: server.url,
      identity: valid,
      ca: pki.trustStorePem,
      retry: false,
      connections: 1,
    });
    await client.GET('/widgets');
    const error = (await client.GET('/widgets').catch((e: unknown) => e)) as MtlsLinkError;
    await client.close();
    expect(error.code).toBe('REQUEST_FAILED');
    expect(error.details).toMatchObject({ signal: 'close' });
  });
});

describe('DNS, TCP and protocol failures', () => {
  let dns: LocalDnsServer;
  let lookup: LookupFunction;

  beforeAll(async () => {
    dns = await startDnsServer({
      records: { 'api.internal.example': [{ type: 'A', data: '127.0.0.1' }] },
      silent: ['slow.internal.example'],
    });
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([dns.address]);
    lookup = (hostname, options, callback) => {
      resolver.resolve4(hostname, (error, addresses) => {
        if (error !== null) callback(error, '', 4);
        else if (options.all === true)
          callback(
            null,
            addresses.map((address) => ({ address, family: 4 })),
          );
        else callback(null, addresses[0] ?? '', 4);
      });
    };
  });
  afterAll(() => dns.close());

  test('a name that does not exist is DNS_NXDOMAIN', async () => {
    const error = await failure('https://nothing.internal.example', { lookup });
    expect(error.code).toBe('DNS_NXDOMAIN');
    expect(error.hop).toBe('dns');
    expect(error.message).toContain('nothing.internal.example');
  });

  test('a resolver that does not answer is DNS_TIMEOUT', async () => {
    const error = await failure('https://slow.internal.example', { lookup });
    expect(error.code).toBe('DNS_TIMEOUT');
  });

  test('a name that resolves reaches the server through the custom lookup', async () => {
    const server = await keep(
      startTlsServer({ server: pki.server, version: 'TLSv1.3', handler: (_q, res) => json(res, 200, [1]) }),
    );
    const client = createClient({
      baseUrl: `https://api.internal.example:${server.port}`,
      servername: 'localhost',
      identity: valid,
      ca: pki.trustStorePem,
      lookup,
    });
    const { data } = await client.GET('/widgets');
    await client.close();
    expect(data).toEqual([1]);
  });

  test('a closed port is TCP_REFUSED', async () => {
    const port = await freePort();
    const error = await failure(`https://127.0.0.1:${port}`);
    expect(error.code).toBe('TCP_REFUSED');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  test('a server that accepts TCP and never speaks TLS is TIMEOUT_CONNECT, within the connect timeout', async () => {
    const server = await keep(startSilentTcpServer());
    const started = performance.now();
    const error = await failure(server.url, { timeouts: { connect: 300 } });
    expect(error.code).toBe('TIMEOUT_CONNECT');
    expect(error.message).toContain('connect timeout');
    expect(error.message).toContain('during the TLS handshake');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('plain HTTP where TLS was expected is TLS_PROTOCOL', async () => {
    const server = await keep(startPlainHttpServer());
    const error = await failure(server.url);
    expect(error.code).toBe('TLS_PROTOCOL');
  });

  test('a connect timeout before TCP completed is TCP_TIMEOUT (classifier, as the probe reports it)', () => {
    const cause = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    const error = classifyFailure(cause, {
      host: '10.0.0.1',
      port: 443,
      tcpConnected: false,
      timeouts: { connect: 100 },
    });
    expect(error.code).toBe('TCP_TIMEOUT');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('10.0.0.1:443');
  });

  test('an OpenSSL alert code names the alert even without context', () => {
    const cause = Object.assign(new Error('tlsv13 alert certificate required'), {
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
    const error = classifyFailure(cause, { host: 'api.example.com', port: 443 });
    expect(error.code).toBe('MTLS_REJECTED');
    expect(error.details).toMatchObject({
      signal: 'alert',
      alert: 'certificate_required',
      protocol: 'TLSv1.3',
    });
  });
});

describe('aborts and the total deadline', () => {
  test('an aborted signal is ABORTED; the total timeout is TIMEOUT_TOTAL', async () => {
    const server = await keep(startTlsServer({ server: pki.server, version: 'TLSv1.2', handler: () => {} }));
    const client = createClient({
      baseUrl: server.url,
      identity: valid,
      ca: pki.trustStorePem,
      retry: false,
    });
    const aborted = (await client
      .GET('/widgets', { signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e)) as MtlsLinkError;
    expect(aborted.code).toBe('ABORTED');
    const total = (await client
      .GET('/widgets', { timeouts: { total: 150 } })
      .catch((e: unknown) => e)) as MtlsLinkError;
    expect(total.code).toBe('TIMEOUT_TOTAL');
    expect(total.message).toContain('150 ms');
    await client.close();
  });
});

describe('HTTP errors', () => {
  test('401, 403 by resource policy, 403 missing route, 502 from the ALB, 418: each its code, request id kept', async () => {
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version: 'TLSv1.3',
        handler: (req, res) => {
          const id = { 'x-amzn-requestid': `req-${req.url}` };
          if (req.url === '/auth') json(res, 401, { message: 'Unauthorized' }, id);
          else if (req.url === '/deny')
            json(
              res,
              403,
              { Message: 'User: anonymous is not authorized' },
              { ...id, 'x-amzn-errortype': 'AccessDeniedException' },
            );
          else if (req.url === '/missing') json(res, 403, { message: 'Missing Authentication Token' }, id);
          else if (req.url === '/alb') {
            res.writeHead(502, { server: 'awselb/2.0', 'content-type': 'text/html' });
            res.end('<html><head><title>502 Bad Gateway</title></head></html>');
          } else json(res, 418, { message: 'teapot' }, id);
        },
      }),
    );
    const expected: [string, string][] = [
      ['/auth', 'HTTP_UNAUTHORIZED'],
      ['/deny', 'HTTP_ACCESS_DENIED'],
      ['/missing', 'HTTP_MISSING_AUTH_TOKEN'],
      ['/alb', 'HTTP_GATEWAY_ERROR'],
      ['/teapot', 'HTTP_UNEXPECTED_STATUS'],
    ];
    for (const [path, code] of expected) {
      const error = await failure(server.url, {}, path);
      expect(error.code, path).toBe(code);
      expect(error.hop).toBe('http');
      if (path !== '/alb') expect(error.details.requestId).toBe(`req-${path}`);
      expect(error.message).toContain(`GET ${server.url}${path}`);
    }
  });

  test('429 with Retry-After is retried after the delay the server asked for', async () => {
    let calls = 0;
    const server = await keep(
      startTlsServer({
        server: pki.server,
        version: 'TLSv1.3',
        handler: (_q, res) => {
          calls += 1;
          if (calls === 1) json(res, 429, { message: 'slow down' }, { 'retry-after': '1' });
          else json(res, 200, { ok: true });
        },
      }),
    );
    const client = createClient({ baseUrl: server.url, identity: valid, ca: pki.trustStorePem });
    const retries: number[] = [];
    client.on('retry', (event) => retries.push(event.delayMs));
    const started = performance.now();
    const { data } = await client.GET('/widgets');
    await client.close();
    expect(data).toEqual({ ok: true });
    expect(retries).toEqual([1000]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  test('classifyHttpResponse tells ForbiddenException from AccessDeniedException by the header alone', () => {
    const base = { status: 403, method: 'GET', url: 'https://x/y', body: '{}' };
    expect(
      classifyHttpResponse({ ...base, headers: { 'x-amzn-errortype': 'ForbiddenException' } }).code,
    ).toBe('HTTP_FORBIDDEN');
    expect(
      classifyHttpResponse({
        ...base,
        headers: { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/' },
      }).code,
    ).toBe('HTTP_ACCESS_DENIED');
    expect(classifyHttpResponse({ ...base, status: 504, headers: {} }).code).toBe('HTTP_GATEWAY_ERROR');
  });
});
