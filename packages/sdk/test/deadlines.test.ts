import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  type LocalSecretsManager,
  localAwsClientConfig,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AbortedError,
  type ClientIdentity,
  createClient,
  fromLambdaExtension,
  fromSecretsManager,
  type IdentityProvider,
  isMtlsLinkError,
  type MtlsLinkError,
  TimeoutError,
} from '../src/index.ts';
import {
  identityOf,
  json,
  jsonSecretOf,
  type LocalServer,
  startFreezableProxy,
  startSilentTcpServer,
  startTlsServer,
} from './fixtures/small-servers.ts';

// The deadline feature's own bound: a call ends within 100 ms of its deadline, whatever the source does.
const SLACK_MS = 100;

let pki: TestPki;
let identity: ClientIdentity;
let silent: LocalServer;
let sm: LocalSecretsManager;
let api: LocalServer;
let refusing: LocalServer;
const cleanups: (() => unknown)[] = [];

const secretOf = jsonSecretOf;

beforeAll(async () => {
  pki = await createTestPki();
  identity = identityOf(pki.clients.valid);
  silent = await startSilentTcpServer();
  sm = await startSecretsManager({
    secrets: [{ name: 'consumer/api-client', string: secretOf(pki.clients.valid) }],
  });
  api = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (_req, res) => json(res, 200, { ok: true }),
  });
  // TLS 1.2 with a client CA our certificate does not chain to: OpenSSL refuses it with an alert.
  refusing = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.2',
    clientCaPem: pki.server.certPem,
    handler: (_req, res) => json(res, 200, { ok: true }),
  });
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await Promise.all([silent?.close(), sm?.close(), api?.close(), refusing?.close()]);
});

function silentSecretsManager(
  extra: Partial<Parameters<typeof fromSecretsManager>[0]> = {},
): IdentityProvider {
  const client = new SecretsManagerClient({
    ...localAwsClientConfig(silent.url.replace('https:', 'http:')),
    maxAttempts: 1,
  });
  const provider = fromSecretsManager({
    secretId: 'consumer/api-client',
    client,
    timeoutMs: 60_000,
    ...extra,
  });
  cleanups.push(
    () => provider.close(),
    () => client.destroy(),
  );
  return provider;
}

async function timed(promise: Promise<unknown>): Promise<{ error: MtlsLinkError; ms: number }> {
  const t0 = performance.now();
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  if (!isMtlsLinkError(error)) throw error;
  return { error, ms: performance.now() - t0 };
}

describe('a Secrets Manager endpoint that accepts TCP and never answers', () => {
  test('timeouts.total bounds the identity load: TIMEOUT_TOTAL within 100 ms of 1500 ms', async () => {
    const client = createClient({
      baseUrl: api.url,
      ca: pki.trustStorePem,
      identity: silentSecretsManager(),
    });
    cleanups.push(() => client.close());
    const { error, ms } = await timed(
      client.request({ method: 'GET', path: '/widgets', timeouts: { total: 1500 } }),
    );
    expect(error.code).toBe('TIMEOUT_TOTAL');
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.details).toMatchObject({ stage: 'identity', timeoutMs: 1500 });
    expect(ms).toBeGreaterThanOrEqual(1490);
    expect(ms).toBeLessThan(1500 + SLACK_MS);
  });

  test("the client's timeouts.total is the default deadline of every call", async () => {
    const client = createClient({
      baseUrl: api.url,
      ca: pki.trustStorePem,
      identity: silentSecretsManager(),
      timeouts: { total: 700 },
    });
    cleanups.push(() => client.close());
    const { error, ms } = await timed(client.GET('/widgets'));
    expect(error.code).toBe('TIMEOUT_TOTAL');
    expect(ms).toBeLessThan(700 + SLACK_MS);
  });

  test('an AbortSignal bounds it: ABORTED (AbortedError, the reason as cause) within 100 ms of 500 ms', async () => {
    const client = createClient({
      baseUrl: api.url,
      ca: pki.trustStorePem,
      identity: silentSecretsManager(),
    });
    cleanups.push(() => client.close());
    const signal = AbortSignal.timeout(500);
    const { error, ms } = await timed(client.request({ method: 'GET', path: '/widgets', signal }));
    expect(error.code).toBe('ABORTED');
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.name).toBe('AbortedError');
    expect(error.cause).toBe(signal.reason);
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });

  test('ready() honours its signal too', async () => {
    const client = createClient({
      baseUrl: api.url,
      ca: pki.trustStorePem,
      identity: silentSecretsManager(),
    });
    cleanups.push(() => client.close());
    const t0 = performance.now();
    const error = await client.ready({ signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError'); // the signal's own reason: a DOMException
    expect(performance.now() - t0).toBeLessThan(300 + SLACK_MS);
  });

  test("the source's own timeoutMs ends a read nobody bounded: SECRET_UNAVAILABLE naming it", async () => {
    const provider = silentSecretsManager({ timeoutMs: 400 });
    const { error, ms } = await timed(provider.current());
    expect(error.code).toBe('SECRET_UNAVAILABLE');
    expect(error.message).toContain('no answer within 400 ms');
    expect(ms).toBeLessThan(400 + SLACK_MS);
  });

  test('the client fromSecretsManager builds itself has connect and request timeouts', async () => {
    const provider = fromSecretsManager({
      secretId: 'consumer/api-client',
      endpoint: silent.url.replace('https:', 'http:'),
      region: 'eu-west-1',
      timeoutMs: 400,
    });
    cleanups.push(() => provider.close());
    const previous = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIDLOCAL';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'local-secret';
    try {
      const { error, ms } = await timed(provider.current());
      expect(error.code).toBe('SECRET_UNAVAILABLE');
      expect(ms).toBeLessThan(400 + SLACK_MS);
    } finally {
      if (previous.id === undefined) delete process.env['AWS_ACCESS_KEY_ID'];
      else process.env['AWS_ACCESS_KEY_ID'] = previous.id;
      if (previous.secret === undefined) delete process.env['AWS_SECRET_ACCESS_KEY'];
      else process.env['AWS_SECRET_ACCESS_KEY'] = previous.secret;
    }
  });

  test('a Lambda extension that never answers: timeoutMs and the caller signal both hold', async () => {
    const extension = () => {
      const provider = fromLambdaExtension({
        secretId: 'consumer/api-client',
        host: '127.0.0.1',
        port: silent.port,
        sessionToken: 'token',
        timeoutMs: 400,
      });
      cleanups.push(() => provider.close());
      return provider;
    };
    const own = await timed(extension().current());
    expect(own.error.code).toBe('SECRET_UNAVAILABLE');
    expect(own.error.message).toContain('no answer within 400 ms');
    expect(own.ms).toBeLessThan(400 + SLACK_MS);

    // A fresh provider: the first one answers its last error for minRefreshInterval.
    const client = createClient({
      baseUrl: api.url,
      ca: pki.trustStorePem,
      identity: extension(),
      timeouts: { total: 200 },
    });
    cleanups.push(() => client.close());
    const bounded = await timed(client.GET('/widgets'));
    expect(bounded.error.code).toBe('TIMEOUT_TOTAL');
    expect(bounded.ms).toBeLessThan(200 + SLACK_MS);
  });
});

describe('the forced refresh after a refusal runs under the same deadline', () => {
  test('Secrets Manager goes silent after the first load; the refused request ends at its deadline', async () => {
    const proxy = await startFreezableProxy(Number(new URL(sm.endpoint).port));
    cleanups.push(() => proxy.close());
    const smClient = new SecretsManagerClient({ ...localAwsClientConfig(proxy.endpoint), maxAttempts: 1 });
    const provider = fromSecretsManager({
      secretId: 'consumer/api-client',
      client: smClient,
      timeoutMs: 60_000,
    });
    cleanups.push(
      () => provider.close(),
      () => smClient.destroy(),
    );
    await provider.current();
    proxy.freeze();

    const client = createClient({
      baseUrl: refusing.url,
      ca: pki.trustStorePem,
      identity: provider,
      retry: false,
    });
    cleanups.push(() => client.close());
    const total = await timed(client.GET('/widgets', { timeouts: { total: 800 } }));
    expect(total.error.code).toBe('TIMEOUT_TOTAL');
    expect(total.error.details['stage']).toBe('forced-refresh');
    expect(client.stats().forcedRefreshes).toBe(1);
    expect(total.ms).toBeLessThan(800 + SLACK_MS);

    // The refresh is still pending (shared, bounded by the source's own timeout): the next refused
    // request waits on the same one, and its abort is honoured as well.
    const signal = AbortSignal.timeout(400);
    const aborted = await timed(client.GET('/widgets', { signal }));
    expect(aborted.error.code).toBe('ABORTED');
    expect(aborted.error.cause).toBe(signal.reason);
    expect(aborted.ms).toBeLessThan(400 + SLACK_MS);
  });

  test('a fixed identity never waits for a source: the refusal comes back as MTLS_REJECTED', async () => {
    const client = createClient({ baseUrl: refusing.url, ca: pki.trustStorePem, identity, retry: false });
    cleanups.push(() => client.close());
    const { error } = await timed(client.GET('/widgets', { timeouts: { total: 2000 } }));
    expect(error.code).toBe('MTLS_REJECTED');
  });
});
