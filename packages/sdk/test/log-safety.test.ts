import { format, inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
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
  type ClientEvents,
  createClient,
  fromIdentity,
  fromSecretsManager,
  type IdentityEvents,
  readIdentity,
} from '../src/index.ts';
import { jsonSecretOf } from './fixtures/small-servers.ts';
import { expectNoSecrets } from './identity-leak-guard.ts';

let pki: TestPki;
let sm: LocalSecretsManager;
let smClient: SecretsManagerClient;
const keyPems = () => Object.values(pki.clients).map((c) => c.keyPem);
const certPems = () => Object.values(pki.clients).flatMap((c) => [c.certPem, c.chainPem]);
const secretOf = jsonSecretOf;

beforeAll(async () => {
  pki = await createTestPki();
  sm = await startSecretsManager({
    secrets: [{ name: 'consumer/api-client', string: secretOf(pki.clients.valid) }],
  });
  smClient = new SecretsManagerClient({ ...localAwsClientConfig(sm), maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  smClient?.destroy();
  await sm?.close();
});

/** What a Powertools Logger prints for `logger.info(message, value)`, captured from stdout. */
function powertoolsOutput(value: unknown): string {
  const logger = new Logger({ serviceName: 'leak-guard', logLevel: 'DEBUG' });
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stdout.write;
  try {
    logger.info('event', value as Record<string, unknown>);
    logger.info('event', { event: value });
  } finally {
    process.stdout.write = write;
  }
  return lines.join('');
}

/** Every way a log line could show `value`: JSON, util.inspect (console.log), format, Powertools. */
function logSurfaces(value: unknown): string[] {
  return [
    JSON.stringify(value) ?? '',
    inspect(value, { depth: 8, showHidden: false }),
    format('%o', value),
    format('%j', value),
    powertoolsOutput(value),
  ];
}

function expectNoKey(value: unknown): void {
  for (const surface of logSurfaces(value)) {
    expectNoSecrets({ message: surface }, { keyPems: keyPems(), publicPems: certPems() });
    expect(surface).not.toContain('PRIVATE KEY');
  }
}

describe('identities are safe to log', () => {
  test('the guard itself sees a key in every surface when one is there', () => {
    const leaky = { note: 'unguarded', keyPem: pki.clients.valid.keyPem };
    for (const surface of logSurfaces(leaky)) {
      expect(() =>
        expectNoSecrets({ message: surface }, { keyPems: keyPems(), publicPems: certPems() }),
      ).toThrow(/key material/);
    }
  });

  test('a read identity: key readable, but JSON, inspect and Powertools print the summary', () => {
    const identity = readIdentity({ secretString: secretOf(pki.clients.valid), source: 'test:leak' });
    expect(identity.keyPem).toContain('PRIVATE KEY');
    expect(Object.keys(identity)).not.toContain('keyPem');
    expect(Object.keys(identity)).not.toContain('privateKey');
    const json = JSON.parse(JSON.stringify(identity)) as Record<string, unknown>;
    expect(json).toMatchObject({
      source: 'test:leak',
      serialHex: identity.serialHex,
      fingerprint256: identity.fingerprint256,
    });
    expect(typeof json['daysLeft']).toBe('number');
    expect(inspect(identity)).toMatch(/^ClientIdentity \{/);
    expectNoKey(identity);
  });

  test('a hand-built identity given to fromIdentity is guarded too (the caller object untouched)', async () => {
    const read = readIdentity({ secretString: secretOf(pki.clients.valid), source: 'test:hand' });
    const handBuilt = { ...read, keyPem: read.keyPem, privateKey: read.privateKey };
    const served = await fromIdentity(handBuilt).current();
    expect(served.keyPem).toBe(read.keyPem);
    expect(Object.keys(handBuilt)).toContain('keyPem');
    expectNoKey(served);
  });

  test('every event, from the provider and the client, carries summaries and no key', async () => {
    const provider = fromSecretsManager({
      secretId: 'consumer/api-client',
      client: smClient,
      expiryWarningDays: 100_000,
      minRefreshInterval: 1,
      minForcedRefreshInterval: 0,
    });
    const api = createClient({ baseUrl: 'https://127.0.0.1:9', identity: provider });
    const seen: unknown[] = [];
    for (const name of ['refresh', 'refresh-failed', 'expiry-warning'] as (keyof IdentityEvents)[]) {
      provider.on(name, (event) => seen.push(event));
    }
    for (const name of [
      'identity-refresh',
      'identity-refresh-failed',
      'expiry-warning',
    ] as (keyof ClientEvents)[]) {
      api.on(name, (event) => seen.push(event));
    }
    await provider.current();
    sm.rotate('consumer/api-client', { string: secretOf(pki.clients.ecP256) });
    await provider.refresh({ force: true });
    sm.rotate('consumer/api-client', { string: '{"certificate":"not pem"}' });
    await provider.refresh({ force: true }).catch(() => {});

    const kinds = seen.map((event) =>
      Object.keys(event as object)
        .sort()
        .join(','),
    );
    expect(seen.length).toBeGreaterThanOrEqual(8);
    const refresh = seen.find(
      (event) =>
        (event as Partial<IdentityEvents['refresh']>).changed === true &&
        (event as IdentityEvents['refresh']).previous !== undefined,
    ) as IdentityEvents['refresh'];
    expect(refresh.current.keyPem).toContain('PRIVATE KEY'); // still there for code that needs it
    expect(refresh.summary.serialHex).toBe(refresh.current.serialHex);
    expect(refresh.previousSummary?.source).toBe('secretsmanager:consumer/api-client@AWSCURRENT');
    expect(kinds.some((k) => k.includes('error'))).toBe(true);
    expect(kinds.some((k) => k.includes('daysLeft'))).toBe(true);
    for (const event of seen) expectNoKey(event);
    provider.close();
    await api.close();
  });
});
