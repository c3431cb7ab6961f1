import { createTestPki, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ClientClosedError,
  type ClientIdentity,
  createClient,
  isMtlsLinkError,
  type MtlsLinkError,
  RefreshingIdentityProvider,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';

let pki: TestPki;
let identity: ClientIdentity;
let server: LocalServer & { server: import('node:https').Server };
let handshakes = 0;
let requests = 0;

beforeAll(async () => {
  pki = await createTestPki();
  identity = identityOf(pki.clients.valid);
  server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (req, res) => {
      requests += 1;
      if (req.url === '/hang') return; // never answers
      json(res, 200, { ok: true });
    },
  });
  // TCP connections: the TLS handshake on each completes on the client's side first.
  server.server.on('connection', () => {
    handshakes += 1;
  });
}, 60_000);

afterAll(() => server.close());

function client(extra: Partial<Parameters<typeof createClient>[0]> = {}) {
  return createClient({ baseUrl: server.url, ca: pki.trustStorePem, identity, allowH2: false, ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<MtlsLinkError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  if (!isMtlsLinkError(error)) throw error;
  return error;
}

describe('lifecycle', () => {
  test('ready() loads the identity and opens the connection the first request then uses', async () => {
    let loads = 0;
    const provider = new RefreshingIdentityProvider(async () => {
      loads += 1;
      return identity;
    });
    const api = client({ identity: provider });
    const before = handshakes;
    await api.ready();
    expect(loads).toBe(1);
    expect(handshakes - before).toBe(1);
    await api.GET('/one');
    // The first request ran on the connection ready() opened, not on a new one.
    expect(handshakes - before).toBe(1);
    await api.close();
    provider.close();
  });

  test('close({ timeoutMs }) cuts off a request that would never finish, then requests get CLIENT_CLOSED', async () => {
    const api = client({ timeouts: { headers: 60_000 } });
    const before = requests;
    const hanging = rejection(api.GET('/hang'));
    while (requests === before) await new Promise((resolve) => setTimeout(resolve, 10));
    const t0 = performance.now();
    await api.close({ timeoutMs: 200 });
    expect(performance.now() - t0).toBeLessThan(200 + 100);
    expect((await hanging).hop).not.toBe('config');
    const closed = await rejection(api.GET('/one'));
    expect(closed).toBeInstanceOf(ClientClosedError);
    expect(closed.code).toBe('CLIENT_CLOSED');
    expect(closed.hop).toBe('config');
  });

  test('Symbol.asyncDispose closes the client', async () => {
    const api = client();
    await api.GET('/one');
    await api[Symbol.asyncDispose]();
    expect((await rejection(api.GET('/one'))).code).toBe('CLIENT_CLOSED');
  });
});

describe('bad arguments fail up front with CONFIG_INVALID naming the option; nothing is sent', () => {
  const cases: [string, (api: ReturnType<typeof client>) => Promise<unknown>, string][] = [
    [
      'an invalid header value',
      (api) => api.GET('/one', { headers: { 'x-token': 'a\r\nInjected: yes' } }),
      'headers.x-token',
    ],
    [
      'an invalid header name',
      (api) => api.GET('/one', { headers: { 'bad name': 'x' } }),
      'headers.bad name',
    ],
    ['an unencoded path', (api) => api.request({ method: 'GET', path: '/widgets/a b' }), 'path'],
    ['a non-ASCII path', (api) => api.request({ method: 'GET', path: '/wïdgets' }), 'path'],
    [
      'a negative per-request timeout',
      (api) => api.GET('/one', { timeouts: { total: -1 } }),
      'timeouts.total',
    ],
    ['a zero headers timeout', (api) => api.GET('/one', { timeouts: { headers: 0 } }), 'timeouts.headers'],
    ['an unknown parseAs', (api) => api.GET('/one', { parseAs: 'xml' as never }), 'parseAs'],
    ['a method that is no token', (api) => api.request({ method: 'GE T', path: '/one' }), 'method'],
    ['a signal that is no AbortSignal', (api) => api.GET('/one', { signal: {} as AbortSignal }), 'signal'],
    [
      'a schema that is no Standard Schema',
      (api) => api.request({ method: 'GET', path: '/one', schema: {} as never }),
      'schema',
    ],
  ];
  for (const [what, call, option] of cases) {
    test(what, async () => {
      const api = client();
      const before = requests;
      const error = await rejection(call(api));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.details['option']).toBe(option);
      expect(error.message).toContain(option);
      expect(api.stats().retries).toBe(0);
      expect(requests).toBe(before);
      await api.close();
    });
  }
});

test('an OpenSSL refusal of a hand-built identity is not retried as a network fault', async () => {
  // Certificate of one client, key of another: node refuses the pair for every connection.
  const mismatched = { ...identity, keyPem: pki.clients.ecP256.keyPem } as ClientIdentity;
  const api = client({ identity: mismatched, retry: { attempts: 3, baseDelayMs: 1 } });
  const error = await rejection(api.GET('/one'));
  expect(api.stats().retries).toBe(0);
  expect(['REQUEST_FAILED', 'CLIENT_CERT_KEY_MISMATCH', 'TLS_PROTOCOL']).toContain(error.code);
  await api.close();
});
