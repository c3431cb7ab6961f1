import { X509Certificate } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  type Issued,
  type LocalSecretsManager,
  localAwsClientConfig,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  fromSecretsManager,
  type IdentityEvents,
  type IdentityProvider,
  type SecretsManagerIdentityOptions,
} from '../src/index.ts';
import { expectRejection } from './identity-leak-guard.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let pki: TestPki;
let sm: LocalSecretsManager;
let client: SecretsManagerClient;
let shortLived: Issued;
let soonExpiring: Issued;
let secretCounter = 0;
const providers: IdentityProvider[] = [];

const jsonSecret = (issued: Issued) =>
  JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });
const fingerprint = (issued: Issued) => new X509Certificate(issued.certPem).fingerprint256;

beforeAll(async () => {
  pki = await createTestPki();
  const now = Date.now();
  [shortLived, soonExpiring] = await Promise.all([
    pki.intermediate.issueClient({ commonName: 'ten hours left', notAfter: new Date(now + 10 * HOUR) }),
    pki.intermediate.issueClient({ commonName: 'ten days left', notAfter: new Date(now + 10 * DAY) }),
  ]);
  sm = await startSecretsManager();
  client = new SecretsManagerClient({ ...localAwsClientConfig(sm), maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  for (const provider of providers) provider.close();
  client?.destroy();
  await sm?.close();
});

/** A fresh secret, a manual clock starting at real time, and a provider reading through the real SDK. */
function setup(issued: Issued, options: Partial<SecretsManagerIdentityOptions> = {}) {
  const secretId = `refresh/${++secretCounter}`;
  sm.putSecret(secretId, { string: jsonSecret(issued) });
  const clock = { now: Date.now() };
  const provider = fromSecretsManager({
    secretId,
    client,
    refreshEvery: '15m',
    now: () => clock.now,
    random: () => 0.5, // no jitter: schedules are exact
    ...options,
  });
  providers.push(provider);
  const reads = () => sm.calls.filter((c) => c.op === 'GetSecretValue' && c.secretId === secretId).length;
  return { secretId, clock, provider, reads };
}

function next<E extends keyof IdentityEvents>(
  provider: IdentityProvider,
  event: E,
): Promise<IdentityEvents[E]> {
  return new Promise((resolve) => {
    const off = provider.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

describe('caching', () => {
  test('concurrent first calls share one load; later calls within refreshEvery use the cache', async () => {
    const { provider, reads, clock } = setup(pki.clients.valid);
    const identities = await Promise.all(Array.from({ length: 8 }, () => provider.current()));
    expect(new Set(identities).size).toBe(1);
    expect(reads()).toBe(1);
    clock.now += 14 * MINUTE;
    await provider.current();
    expect(reads()).toBe(1);
  });

  test('past refreshEvery, current() serves the cache at once and refreshes in the background', async () => {
    const { provider, reads, clock } = setup(pki.clients.valid);
    const first = await provider.current();
    clock.now += 15 * MINUTE + 1;
    const refreshed = next(provider, 'refresh');
    expect(await provider.current()).toBe(first);
    const event = await refreshed;
    expect(reads()).toBe(2);
    expect(event).toMatchObject({ changed: false, reason: 'scheduled' });
    expect(event.previous?.fingerprint256).toBe(first.fingerprint256);
  });

  test('rotation: the refresh event says changed, with previous and current', async () => {
    const { provider, clock, secretId } = setup(pki.clients.valid);
    await provider.current();
    sm.rotate(secretId, { string: jsonSecret(pki.clients.ecP256) });
    clock.now += 16 * MINUTE;
    const refreshed = next(provider, 'refresh');
    await provider.current();
    const event = await refreshed;
    expect(event.changed).toBe(true);
    expect(event.previous?.fingerprint256).toBe(fingerprint(pki.clients.valid));
    expect(event.current.fingerprint256).toBe(fingerprint(pki.clients.ecP256));
    expect((await provider.current()).fingerprint256).toBe(fingerprint(pki.clients.ecP256));
  });

  test('refresh() is rate-limited to one load per 5 s unless forced; concurrent refreshes share one load', async () => {
    const { provider, reads, clock } = setup(pki.clients.valid);
    await provider.current();
    clock.now += 4 * 1000;
    await provider.refresh();
    expect(reads()).toBe(1);
    await Promise.all([provider.refresh({ force: true }), provider.refresh({ force: true })]);
    expect(reads()).toBe(2);
    clock.now += 6 * 1000;
    await provider.refresh();
    expect(reads()).toBe(3);
  });

  test('the refresh comes earlier as notAfter nears: half the remaining lifetime', async () => {
    const { provider, reads, clock } = setup(shortLived, { refreshEvery: '12h', expiryWarningDays: 0 });
    await provider.current();
    clock.now += 4.9 * HOUR;
    await provider.current();
    expect(reads()).toBe(1);
    clock.now += 0.2 * HOUR;
    const refreshed = next(provider, 'refresh');
    await provider.current();
    await refreshed;
    expect(reads()).toBe(2);
  });
});

describe('failures during refresh', () => {
  test('throttling during a refresh keeps the last good identity and emits refresh-failed', async () => {
    const { provider, clock } = setup(pki.clients.valid);
    const good = await provider.current();
    sm.throttleNext(1);
    clock.now += 16 * MINUTE;
    const failed = next(provider, 'refresh-failed');
    expect(await provider.current()).toBe(good);
    const event = await failed;
    expect(event.error.code).toBe('SECRET_THROTTLED');
    expect((event.error.cause as Error).name).toBe('ThrottlingException');
    expect(event.current).toBe(good);
    expect(await provider.current()).toBe(good);
    // A forced refresh reports the failure to its caller too, and still keeps the identity.
    sm.throttleNext(1);
    await expectRejection(provider.refresh({ force: true }), 'SECRET_THROTTLED');
    expect(await provider.current()).toBe(good);
    // After the retry delay (at most a minute) the next refresh succeeds.
    clock.now += 2 * MINUTE;
    const refreshed = next(provider, 'refresh');
    await provider.current();
    expect((await refreshed).changed).toBe(false);
  });

  test('once the cached identity has expired, a failing refresh makes current() reject with the typed error', async () => {
    const { provider, clock, secretId } = setup(shortLived, { refreshEvery: '1d', expiryWarningDays: 0 });
    await provider.current();
    clock.now = shortLived.notAfter.getTime() + MINUTE;
    sm.throttleNext(1);
    await expectRejection(provider.current(), 'SECRET_THROTTLED');
    // The secret still holds the expired certificate: the reload is refused at load.
    clock.now += 10 * 1000;
    await expectRejection(provider.current(), 'CLIENT_CERT_EXPIRED', { keyPems: [shortLived.keyPem] });
    // Rotated to a fresh certificate: served again.
    sm.rotate(secretId, { string: jsonSecret(pki.clients.valid) });
    clock.now += 10 * 1000;
    expect((await provider.current()).fingerprint256).toBe(fingerprint(pki.clients.valid));
  });
  test('a failed first load is retried at most every 5 s, then succeeds', async () => {
    const { provider, reads, clock, secretId } = setup(pki.clients.valid);
    sm.denyAccess(secretId, true);
    try {
      await expectRejection(provider.current(), 'SECRET_ACCESS_DENIED');
      await expectRejection(provider.current(), 'SECRET_ACCESS_DENIED');
      expect(reads()).toBe(1);
    } finally {
      sm.denyAccess(secretId, false);
    }
    clock.now += 5001;
    expect((await provider.current()).fingerprint256).toBe(fingerprint(pki.clients.valid));
    expect(reads()).toBe(2);
  });
});

describe('expiry warnings and events', () => {
  test('expiry-warning when fewer than 14 days are left, repeated at most daily', async () => {
    const { provider, clock } = setup(soonExpiring, { refreshEvery: '1h' });
    const warnings: number[] = [];
    provider.on('expiry-warning', (e) => warnings.push(e.daysLeft));
    await provider.current();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBeGreaterThan(9.9);
    expect(warnings[0]).toBeLessThan(10.1);
    clock.now += 12 * HOUR;
    await provider.current();
    await provider.refresh({ force: true });
    expect(warnings).toHaveLength(1);
    clock.now += 13 * HOUR;
    await provider.current();
    expect(warnings).toHaveLength(2);
  });

  test('no warning with plenty of validity left; listeners unsubscribe; a throwing listener does not break refresh', async () => {
    const { provider } = setup(pki.clients.valid);
    let warnings = 0;
    let refreshes = 0;
    provider.on('expiry-warning', () => warnings++);
    const off = provider.on('refresh', () => refreshes++);
    provider.on('refresh', () => {
      throw new Error('faulty logger');
    });
    await provider.current();
    expect(refreshes).toBe(1);
    off();
    await provider.refresh({ force: true });
    expect(refreshes).toBe(1);
    expect(warnings).toBe(0);
  });

  test('after close() no background refresh starts; the cached identity is still served', async () => {
    const { provider, reads, clock } = setup(pki.clients.valid);
    const identity = await provider.current();
    provider.close();
    clock.now += 20 * MINUTE;
    expect(await provider.current()).toBe(identity);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads()).toBe(1);
  });

  test('refreshEvery must be a positive duration (a zero one would reload in a tight loop)', () => {
    for (const refreshEvery of ['soon' as '1m', '0s', '0ms', '0.0m', 0] as const) {
      expect(() => fromSecretsManager({ secretId: 'x', refreshEvery })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', details: { option: 'refreshEvery' } }),
      );
    }
  });
});
