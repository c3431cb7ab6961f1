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
import { createClient, fromSecretsManager, isMtlsLinkError } from '../src/index.ts';

const secretId = 'consumer/api-client';
const secretOf = (issued: Issued) =>
  JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });

let pki: TestPki;
let second: Issued;
let third: Issued;
let sm: LocalSecretsManager;
let gw: Gateway;

beforeAll(async () => {
  pki = await createTestPki();
  [second, third] = await Promise.all([
    pki.intermediate.issueClient({ commonName: 'client second' }),
    pki.intermediate.issueClient({ commonName: 'client third' }),
  ]);
  sm = await startSecretsManager({ secrets: [{ name: secretId, string: secretOf(pki.clients.valid) }] });
  gw = await startGateway({
    mode: 'verify',
    server: pki.server,
    trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    // HTTP/1.1: maxRequestsPerConnection keeps new handshakes (and so the verdicts) coming.
    tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', alpn: ['http/1.1'] },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await sm?.close();
});

describe('rotation under load', () => {
  test('5,000 requests at concurrency 32 while the secret rotates twice and old certificates are revoked: none fails', async () => {
    const provider = fromSecretsManager({
      secretId,
      client: new SecretsManagerClient(localAwsClientConfig(sm)),
      // Only a refusal tells the client to reload: the test exercises the forced refresh path.
      refreshEvery: '1h',
      // The two rotations come seconds apart; the provider's own limit on forced reloads would hold the second.
      minForcedRefreshInterval: 0,
    });
    const api = createClient({
      baseUrl: gw.url,
      identity: provider,
      ca: pki.trustStorePem,
      connections: 32,
      // New connections keep coming, so a revoked certificate meets the gateway's verdict soon.
      maxRequestsPerConnection: 50,
      minForcedRefreshInterval: 0,
    });
    const swaps: string[] = [];
    api.on('pool-swap', (event) => swaps.push(event.reason));

    const total = 5000;
    let started = 0;
    let done = 0;
    const failures: unknown[] = [];
    const revoke = (...revoked: Issued[]) =>
      pki.intermediate.crl({ revoked: [pki.clients.revoked, ...revoked] }).then((crlPem) => {
        gw.setTrustStore({ caPem: pki.trustStorePem, crlPems: [crlPem] });
      });
    // Each step runs once the load has reached its mark: rotate (old and new both trusted), then revoke the old.
    const steps: [number, () => unknown][] = [
      [800, () => sm.rotate(secretId, { string: secretOf(second) })],
      [1200, () => revoke(pki.clients.valid)],
      [2800, () => sm.rotate(secretId, { string: secretOf(third) })],
      [3200, () => revoke(pki.clients.valid, second)],
    ];
    const stepDone: Promise<unknown>[] = [];

    const worker = async () => {
      while (started < total) {
        started += 1;
        try {
          const { status } = await api.GET('/widgets');
          if (status !== 200) failures.push(new Error(`status ${status}`));
        } catch (error) {
          failures.push(error);
        }
        done += 1;
        while (steps.length > 0 && done >= (steps[0]?.[0] ?? Number.POSITIVE_INFINITY)) {
          const step = steps.shift();
          if (step !== undefined) stepDone.push(Promise.resolve(step[1]()));
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, worker));
    await Promise.all(stepDone);
    const seconds = (performance.now() - t0) / 1000;
    const stats = api.stats();
    const identityCalls = sm.calls.filter((call) => call.op === 'GetSecretValue').length;
    console.info(
      `rotation under load: ${done} requests in ${seconds.toFixed(1)} s, ${failures.length} failed; ` +
        `forced refreshes ${stats.forcedRefreshes}, pool swaps ${stats.poolSwaps} (${swaps.join(' | ')}), ` +
        `retries after refusal ${stats.identityRetries}, other retries ${stats.retries}, ` +
        `GetSecretValue calls ${identityCalls}, handshakes at the gateway ${gw.handshakes()}`,
    );
    await api.close();
    provider.close();

    expect(failures.map((error) => (isMtlsLinkError(error) ? error.code : String(error)))).toEqual([]);
    expect(done).toBe(total);
    expect(stats.poolSwaps).toBe(2);
    // The second and third certificates really were used: the gateway refused the revoked ones.
    expect(stats.forcedRefreshes).toBeGreaterThanOrEqual(2);
    expect(stats.identityRetries).toBeGreaterThanOrEqual(1);
    const refused = gw.connectionLog.filter((entry) => entry.tlsVerifyStatus === 'Failed:ClientCertCrlHit');
    expect(refused.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
