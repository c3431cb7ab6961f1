import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  type Gateway,
  type Issued,
  type LocalSecretsManager,
  localAwsClientConfig,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient, fromSecretsManager, isMtlsLinkError, type MtlsLinkError } from '../src/index.ts';
import { identityOf, type TlsVersion } from './fixtures/small-servers.ts';

let pki: TestPki;
const gateways: Gateway[] = [];

beforeAll(async () => {
  pki = await createTestPki();
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

async function faultyGateway(version: TlsVersion): Promise<Gateway> {
  const gw = await startGateway({
    mode: 'verify',
    server: pki.server,
    trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    // HTTP/1.1: one request per connection at a time, so a reset fails exactly one request.
    tls: { minVersion: version, maxVersion: version, alpn: ['http/1.1'] },
    faults: { resetRatio: 0.05 },
  });
  gateways.push(gw);
  return gw;
}

async function runAtConcurrency<T>(count: number, concurrency: number, task: (index: number) => Promise<T>) {
  const results: PromiseSettledResult<T>[] = [];
  const durations: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const started = performance.now();
      results[index] = await task(index).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
      durations.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { results, maxDurationMs: Math.max(...durations) };
}

describe.each<TlsVersion>(['TLSv1.2', 'TLSv1.3'])(
  'the gateway resets one request in twenty (%s)',
  (version) => {
    test('every idempotent request succeeds through retries; none outlives its timeouts', async () => {
      const gw = await faultyGateway(version);
      const api = createClient({
        baseUrl: gw.url,
        identity: identityOf(pki.clients.valid),
        ca: pki.trustStorePem,
        connections: 16,
        timeouts: { connect: 2000, headers: 2000, body: 2000 },
        // The resets are every twentieth request, whoever sends it: a retry can land on the next one.
        retry: { attempts: 4 },
      });
      const { results, maxDurationMs } = await runAtConcurrency(600, 16, (i) =>
        i % 2 === 0 ? api.GET('/widgets') : api.PUT('/echo', { body: { i } }),
      );
      const stats = api.stats();
      await api.close();
      const failed = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as MtlsLinkError] : [],
      );
      console.info(`${version}: 600 idempotent requests, ${failed.length} failed, ${stats.retries} retries`);
      expect(
        failed.map((error) => `${error.code} ${error.message} ${JSON.stringify(error.details)}`),
      ).toEqual([]);
      // 600 requests plus their retries at one reset in twenty.
      expect(stats.retries).toBeGreaterThanOrEqual(25);
      expect(maxDurationMs).toBeLessThan(2000 + 2000);
    });

    test('non-idempotent requests that were reset fail with a typed error, quickly; idempotency keys make them retryable', async () => {
      const gw = await faultyGateway(version);
      const api = createClient({
        baseUrl: gw.url,
        identity: identityOf(pki.clients.valid),
        ca: pki.trustStorePem,
        connections: 8,
        timeouts: { connect: 2000, headers: 2000, body: 2000 },
      });
      const posts = await runAtConcurrency(200, 8, () => api.POST('/widgets', { body: { value: '1.00' } }));
      const failed = posts.results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(failed.length).toBeGreaterThanOrEqual(8);
      expect(failed.length).toBeLessThanOrEqual(12);
      for (const error of failed) {
        expect(isMtlsLinkError(error)).toBe(true);
        expect(['REQUEST_FAILED', 'MTLS_REJECTED']).toContain((error as MtlsLinkError).code);
        expect((error as MtlsLinkError).message).toContain(`POST ${gw.url}/widgets`);
      }
      expect(posts.maxDurationMs).toBeLessThan(2000);

      const keyed = await runAtConcurrency(200, 8, (i) =>
        api.POST('/widgets', { body: { value: '2.00' }, headers: { 'Idempotency-Key': `k-${i}` } }),
      );
      await api.close();
      expect(keyed.results.filter((result) => result.status === 'rejected')).toEqual([]);
    });
  },
);

describe('Secrets Manager throttles while the identity refreshes', () => {
  let sm: LocalSecretsManager;
  let next: Issued;

  beforeAll(async () => {
    next = await pki.intermediate.issueClient({ commonName: 'client after throttling' });
    sm = await startSecretsManager({
      secrets: [
        {
          name: 'consumer/throttled',
          string: JSON.stringify({
            cert: pki.clients.valid.certPem,
            key: pki.clients.valid.keyPem,
            chain: pki.clients.valid.chainPem,
          }),
        },
      ],
    });
  });
  afterAll(() => sm.close());

  test('requests keep flowing on the last good identity, and the next good refresh swaps it', async () => {
    const gw = await startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    });
    gateways.push(gw);
    const provider = fromSecretsManager({
      secretId: 'consumer/throttled',
      client: new SecretsManagerClient({ ...localAwsClientConfig(sm), maxAttempts: 1 }),
      refreshEvery: '150ms',
    });
    const api = createClient({ baseUrl: gw.url, identity: provider, ca: pki.trustStorePem });
    const failedRefreshes: string[] = [];
    api.on('identity-refresh-failed', (event) => failedRefreshes.push(event.error.code));

    await api.GET('/widgets');
    sm.throttleNext(4);
    const deadline = performance.now() + 1500;
    let requests = 0;
    while (performance.now() < deadline && failedRefreshes.length < 2) {
      const { status } = await api.GET('/widgets');
      expect(status).toBe(200);
      requests += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(failedRefreshes.length).toBeGreaterThanOrEqual(2);
    expect(failedRefreshes.every((code) => code === 'SECRET_THROTTLED')).toBe(true);
    expect(api.stats().poolSwaps).toBe(0);

    const swapped = new Promise<void>((resolve) => api.on('pool-swap', () => resolve()));
    sm.rotate('consumer/throttled', {
      string: JSON.stringify({ cert: next.certPem, key: next.keyPem, chain: next.chainPem }),
    });
    await swapped;
    const { data } = await api.request({ method: 'GET', path: '/echo' });
    expect((data as { mtls: Record<string, string> }).mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(
      next.serialHex,
    );
    console.info(
      `throttled refreshes: ${failedRefreshes.length} failed while ${requests} requests succeeded`,
    );
    await api.close();
    provider.close();
  });
});
