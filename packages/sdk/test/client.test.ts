import { createTestPki, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ClientIdentity,
  type ClientOptions,
  createClient,
  fromIdentity,
  type IdentityProvider,
  isMtlsLinkError,
  type MtlsLinkError,
  RefreshingIdentityProvider,
  type RequestInfo,
  type ResponseInfo,
  type RetryEvent,
  SecretError,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';
import type { paths } from './fixtures/widgets-api.generated.ts';

let pki: TestPki;
let identity: ClientIdentity;
let server: LocalServer;
/** Calls per path, so each test can script its own sequence of answers. */
const calls = new Map<string, number>();

beforeAll(async () => {
  pki = await createTestPki();
  identity = identityOf(pki.clients.valid);
  server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const n = (calls.get(url.pathname) ?? 0) + 1;
      calls.set(url.pathname, n);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        switch (url.pathname) {
          case '/flaky':
            if (n <= 2) json(res, 503, { message: 'busy' });
            else json(res, 200, { attempt: n });
            return;
          case '/always-503':
            json(res, 503, { message: 'busy' });
            return;
          case '/retry-later':
            json(res, 429, { message: 'later' }, { 'retry-after': '30' });
            return;
          case '/empty':
            res.writeHead(204);
            res.end();
            return;
          case '/text':
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end('plain words');
            return;
          default:
            json(res, 200, {
              method: req.method,
              url: req.url,
              contentType: req.headers['content-type'],
              custom: req.headers['x-custom'],
              base: req.headers['x-base'],
              body,
            });
        }
      });
    },
  });
}, 60_000);

afterAll(() => server.close());

function client(options: Partial<ClientOptions> = {}) {
  return createClient<paths>({ baseUrl: server.url, identity, ca: pki.trustStorePem, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<MtlsLinkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMtlsLinkError(error)) throw new Error(`expected an MtlsLinkError, got ${String(error)}`);
  return error;
}

describe('options are validated, naming the bad one', () => {
  test.each<[string, Partial<ClientOptions>, string]>([
    ['baseUrl', { baseUrl: 'http://api.example.com' }, 'baseUrl must be https://'],
    ['baseUrl', { baseUrl: 'not a url' }, 'baseUrl is not a URL'],
    ['identity', { identity: { certPem: 'x' } as unknown as ClientIdentity }, 'option identity'],
    ['timeouts.headers', { timeouts: { headers: -1 } }, 'timeouts.headers'],
    ['connections', { connections: 0 }, 'connections'],
    ['retry.attempts', { retry: { attempts: 1.5 } }, 'retry.attempts'],
  ])('%s', (option, bad, text) => {
    let thrown: unknown;
    try {
      createClient({ baseUrl: 'https://api.example.com', identity, ...bad });
    } catch (error) {
      thrown = error;
    }
    expect(isMtlsLinkError(thrown)).toBe(true);
    expect((thrown as MtlsLinkError).code).toBe('CONFIG_INVALID');
    expect((thrown as MtlsLinkError).details.option).toBe(option);
    expect((thrown as MtlsLinkError).message).toContain(text);
  });
});

describe('requests', () => {
  test('path parameters are encoded, query arrays repeat, the base path and default headers apply', async () => {
    const api = createClient({
      baseUrl: `${server.url}/stage/`,
      identity,
      ca: pki.trustStorePem,
      headers: { 'x-base': 'b' },
    });
    const { data } = await api.GET('/items/{id}', {
      params: { path: { id: 'a b/c' }, query: { tag: ['x', 'y'], n: 2, skip: undefined } },
      headers: { 'X-Custom': 'c' },
    });
    expect(data).toMatchObject({
      method: 'GET',
      url: '/stage/items/a%20b%2Fc?tag=x&tag=y&n=2',
      custom: 'c',
      base: 'b',
    });
    await api.close();
  });

  test('request() appends query to a path that already has one with &, not a second ?', async () => {
    const api = client();
    const { data } = await api.request({ method: 'get', path: 'echo?a=1', query: { b: 'x y' } });
    expect(data).toMatchObject({ method: 'GET', url: '/echo?a=1&b=x%20y' });
    await api.close();
  });

  test('a missing path parameter is a typed error naming it, before anything is sent', async () => {
    const api = createClient({ baseUrl: server.url, identity, ca: pki.trustStorePem });
    const error = await rejection(api.GET('/items/{id}', { params: { path: {} } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details.option).toBe('params.path.id');
    await api.close();
  });

  test('objects are sent as JSON, strings as they are; 204 and text bodies come back as undefined and text', async () => {
    const api = client();
    const posted = await api.request({ method: 'post', path: '/echo', body: { a: 1 } });
    expect(posted.data).toMatchObject({ method: 'POST', contentType: 'application/json', body: '{"a":1}' });
    const raw = await api.request({
      method: 'PUT',
      path: 'echo',
      body: 'x=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(raw.data).toMatchObject({ contentType: 'text/plain', body: 'x=1' });
    expect((await api.request({ method: 'GET', path: '/empty' })).data).toBeUndefined();
    expect((await api.request({ method: 'GET', path: '/text' })).data).toBe('plain words');
    const head = await api.request({ method: 'HEAD', path: '/echo' });
    expect(head.status).toBe(200);
    expect(head.data).toBeUndefined();
    await api.close();
  });
});

describe('retries', () => {
  test('an idempotent request is retried with full-jitter backoff and hooks see every attempt', async () => {
    calls.delete('/flaky');
    const seen: { requests: RequestInfo[]; responses: ResponseInfo[]; retries: RetryEvent[] } = {
      requests: [],
      responses: [],
      retries: [],
    };
    const api = client({
      retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
      hooks: {
        onRequest: (info) => seen.requests.push(info),
        onResponse: (info) => seen.responses.push(info),
        onRetry: (event) => seen.retries.push(event),
      },
    });
    const { data } = await api.request({ method: 'GET', path: '/flaky' });
    expect(data).toEqual({ attempt: 3 });
    expect(seen.requests.map((info) => info.attempt)).toEqual([0, 1, 2]);
    expect(seen.retries.map((event) => event.error.code)).toEqual([
      'HTTP_GATEWAY_ERROR',
      'HTTP_GATEWAY_ERROR',
    ]);
    expect(seen.retries.every((event) => event.delayMs >= 0 && event.delayMs <= 50)).toBe(true);
    expect(seen.responses).toHaveLength(1);
    expect(seen.responses[0]).toMatchObject({ status: 200, attempt: 2, method: 'GET' });
    expect(api.stats().retries).toBe(2);
    await api.close();
  });

  test('POST is not retried, unless it carries an Idempotency-Key', async () => {
    const api = client({ retry: { attempts: 3, baseDelayMs: 5 } });
    calls.delete('/flaky');
    const error = await rejection(api.request({ method: 'POST', path: '/flaky', body: {} }));
    expect(error.code).toBe('HTTP_GATEWAY_ERROR');
    expect(calls.get('/flaky')).toBe(1);
    calls.delete('/flaky');
    const keyed = await api.request({
      method: 'POST',
      path: '/flaky',
      body: {},
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(keyed.status).toBe(200);
    expect(calls.get('/flaky')).toBe(3);
    await api.close();
  });

  test('retries stop at the attempt count, and before a delay would cross maxElapsedMs', async () => {
    const errors: MtlsLinkError[] = [];
    const api = client({
      retry: { attempts: 2, baseDelayMs: 5 },
      hooks: { onError: (error) => errors.push(error) },
    });
    calls.delete('/always-503');
    const error = await rejection(api.GET('/always-503' as '/widgets'));
    expect(error.code).toBe('HTTP_GATEWAY_ERROR');
    expect(calls.get('/always-503')).toBe(3);
    expect(errors).toEqual([error]);

    calls.delete('/retry-later');
    const started = performance.now();
    const later = await rejection(api.GET('/retry-later' as '/widgets'));
    expect(later.details.status).toBe(429);
    // Retry-After: 30 s is beyond the 15 s budget: no retry, no wait.
    expect(calls.get('/retry-later')).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
    await api.close();
  });

  test('retry: false turns retries off', async () => {
    calls.delete('/flaky');
    const api = client({ retry: false });
    await rejection(api.GET('/flaky' as '/widgets'));
    expect(calls.get('/flaky')).toBe(1);
    await api.close();
  });
});

describe('refused certificates and identity events', () => {
  test('a refusal with a fixed identity fails with MTLS_REJECTED and forces no refresh', async () => {
    const strict = await startTlsServer({
      server: pki.server,
      version: 'TLSv1.2',
      clientCaPem: pki.root.certPem,
      handler: (_q, res) => json(res, 200, {}),
    });
    const api = createClient({
      baseUrl: strict.url,
      identity: identityOf(pki.clients.foreignCa),
      ca: pki.trustStorePem,
    });
    const error = await rejection(api.GET('/widgets'));
    expect(error.code).toBe('MTLS_REJECTED');
    expect(api.stats()).toMatchObject({ forcedRefreshes: 0, identityRetries: 0 });
    await api.close();
    await strict.close();
  });

  test('a refused certificate forces one refresh and the request is retried with the new identity', async () => {
    const strict = await startTlsServer({
      server: pki.server,
      version: 'TLSv1.3',
      clientCaPem: pki.trustStorePem,
      handler: (_q, res) => json(res, 200, { ok: true }),
    });
    let loads = 0;
    const provider = new RefreshingIdentityProvider(
      async () => {
        loads += 1;
        return loads === 1 ? identityOf(pki.clients.foreignCa) : identity;
      },
      { refreshEvery: '1h' },
    );
    const api = createClient({ baseUrl: strict.url, identity: provider, ca: pki.trustStorePem });
    const retries: RetryEvent[] = [];
    api.on('retry', (event) => retries.push(event));
    const { data } = await api.GET('/widgets');
    expect(data).toEqual({ ok: true });
    expect(loads).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ afterIdentityRefresh: true });
    expect(retries[0]?.error.code).toBe('MTLS_REJECTED');
    expect(api.stats()).toMatchObject({ forcedRefreshes: 1, identityRetries: 1, poolSwaps: 1 });
    await api.close();
    provider.close();
    await strict.close();
  });

  test('forced refreshes after refusals are rate-limited by minForcedRefreshInterval', async () => {
    const strict = await startTlsServer({
      server: pki.server,
      version: 'TLSv1.2',
      clientCaPem: pki.trustStorePem,
      handler: (_q, res) => json(res, 200, {}),
    });
    // Every identity it hands out is refused, and each differs from the one before.
    const refused = [identityOf(pki.clients.foreignCa), identityOf(pki.clients.expired)];
    let loads = 0;
    const provider = new RefreshingIdentityProvider(async () => refused[loads++ % 2] as ClientIdentity, {
      refreshEvery: '1h',
    });
    for (const [interval, expected] of [
      [60_000, 1],
      [0, 2],
    ] as const) {
      loads = 0;
      const api = createClient({
        baseUrl: strict.url,
        identity: provider,
        ca: pki.trustStorePem,
        minForcedRefreshInterval: interval,
        retry: false,
      });
      expect((await rejection(api.GET('/widgets'))).code).toBe('MTLS_REJECTED');
      expect((await rejection(api.GET('/widgets'))).code).toBe('MTLS_REJECTED');
      expect(api.stats().forcedRefreshes).toBe(expected);
      await api.close();
    }
    provider.close();
    await strict.close();
  });

  test('a client closed while the forced refresh after a refusal runs ends quietly (no unhandled rejection)', async () => {
    const strict = await startTlsServer({
      server: pki.server,
      version: 'TLSv1.2',
      clientCaPem: pki.trustStorePem,
      handler: (_q, res) => json(res, 200, {}),
    });
    let release: (identity: ClientIdentity) => void = () => {};
    const provider: IdentityProvider = {
      current: async () => identityOf(pki.clients.foreignCa),
      refresh: () =>
        new Promise<ClientIdentity>((resolve) => {
          release = resolve;
        }),
      on: () => () => {},
      close: () => {},
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const api = createClient({ baseUrl: strict.url, identity: provider, ca: pki.trustStorePem });
      // POST is not retried, but its refusal starts a forced refresh for the requests after it.
      expect((await rejection(api.POST('/widgets', { body: { value: '1' } }))).code).toBe('MTLS_REJECTED');
      await api.close();
      release(identity);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await strict.close();
    }
  });

  test('identity refresh and expiry warnings reach client listeners', async () => {
    const provider = new RefreshingIdentityProvider(async () => identity, {
      refreshEvery: '1h',
      // The test certificate is valid for a year: any warning window longer than that warns.
      expiryWarningDays: 400,
    });
    const api = createClient({ baseUrl: server.url, identity: provider, ca: pki.trustStorePem });
    const events: string[] = [];
    api.on('identity-refresh', (event) => events.push(`refresh:${event.reason}`));
    api.on('expiry-warning', (event) => events.push(`expiry:${Math.round(event.daysLeft)}`));
    await api.request({ method: 'GET', path: '/echo' });
    expect(events.some((event) => event.startsWith('refresh:'))).toBe(true);
    expect(events.some((event) => event.startsWith('expiry:'))).toBe(true);
    await api.close();
    provider.close();
  });

  test('fromIdentity works as a provider', async () => {
    const api = createClient({
      baseUrl: server.url,
      identity: fromIdentity(identity),
      ca: pki.trustStorePem,
    });
    expect((await api.request({ method: 'GET', path: '/echo' })).status).toBe(200);
    await api.close();
  });
});

describe('hooks', () => {
  test('a hook that throws does not fail the request', async () => {
    const api = client({
      hooks: {
        onRequest: () => {
          throw new Error('logger broke');
        },
        onResponse: () => {
          throw new Error('logger broke');
        },
      },
    });
    expect((await api.request({ method: 'GET', path: '/echo' })).status).toBe(200);
    await api.close();
  });

  test('onError sees identity load failures and aborts during backoff, not only failed responses', async () => {
    const errors: string[] = [];
    const onError = (error: MtlsLinkError, info: RequestInfo) => errors.push(`${error.code}@${info.attempt}`);
    const provider = new RefreshingIdentityProvider(async () => {
      throw new SecretError('SECRET_NOT_FOUND', 'test:missing (secret test/missing): not found');
    });
    const broken = createClient({
      baseUrl: server.url,
      identity: provider,
      ca: pki.trustStorePem,
      hooks: { onError },
    });
    expect((await rejection(broken.GET('/widgets'))).code).toBe('SECRET_NOT_FOUND');
    await broken.close();
    provider.close();

    const api = client({
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
      hooks: { onError },
    });
    const controller = new AbortController();
    // Aborted as the first retry is announced, so its backoff wait is what the abort ends.
    api.on('retry', () => controller.abort());
    const aborted = await rejection(
      api.request({ method: 'GET', path: '/always-503', signal: controller.signal }),
    );
    expect(aborted.code).toBe('ABORTED');
    expect(errors).toEqual(['SECRET_NOT_FOUND@0', 'ABORTED@1']);
    await api.close();
  });

  test('a listener that throws neither fails the request nor stops the listeners after it', async () => {
    calls.delete('/flaky');
    const api = client({ retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 } });
    const seen: number[] = [];
    api.on('retry', () => {
      throw new Error('logger broke');
    });
    const off = api.on('retry', (event) => seen.push(event.retry));
    expect((await api.request({ method: 'GET', path: '/flaky' })).data).toEqual({ attempt: 3 });
    expect(seen).toEqual([1, 2]);
    off();
    calls.delete('/flaky');
    await api.request({ method: 'GET', path: '/flaky' });
    expect(seen).toEqual([1, 2]);
    await api.close();
  });
});
