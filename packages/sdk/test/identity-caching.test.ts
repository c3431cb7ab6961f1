import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  type LocalSecretsManager,
  localAwsClientConfig,
  startLambdaSecretsExtension,
  startSecretsManager,
  type TestPki,
  toPkcs12,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createClient,
  fromLambdaExtension,
  fromSecretsManager,
  type IdentityProvider,
} from '../src/index.ts';
import { jsonSecretOf } from './fixtures/small-servers.ts';

let pki: TestPki;
let sm: LocalSecretsManager;
let client: SecretsManagerClient;
const providers: IdentityProvider[] = [];
const passphrase = 'p12 passphrase 4b7d1a';
const secretOf = jsonSecretOf;
const track = <P extends IdentityProvider>(provider: P): P => {
  providers.push(provider);
  return provider;
};
const reads = (secretId: string) =>
  sm.calls.filter((call) => call.op === 'GetSecretValue' && call.secretId === secretId).length;

beforeAll(async () => {
  pki = await createTestPki();
  sm = await startSecretsManager({
    secrets: [
      { name: 'cache/json', string: secretOf(pki.clients.valid) },
      { name: 'cache/p12', binary: await toPkcs12(pki.clients.valid, passphrase) },
      { name: 'cache/p12-pass', string: passphrase },
      { name: 'cache/shared', string: secretOf(pki.clients.valid) },
      { name: 'cache/extension', string: secretOf(pki.clients.valid) },
    ],
  });
  client = new SecretsManagerClient({ ...localAwsClientConfig(sm), maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  for (const provider of providers) provider.close();
  client?.destroy();
  await sm?.close();
});

describe('refreshes that find nothing new cost no parsing', () => {
  test('an unchanged VersionId keeps the identity it has; a new version is read', async () => {
    const provider = track(fromSecretsManager({ secretId: 'cache/json', client, minRefreshInterval: 1 }));
    const first = await provider.current();
    const again = await provider.refresh({ force: true });
    expect(again).toBe(first); // the same object: nothing was parsed
    expect(reads('cache/json')).toBe(2); // but Secrets Manager was asked
    sm.rotate('cache/json', { string: secretOf(pki.clients.ecP256) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rotated = await provider.refresh();
    expect(rotated).not.toBe(first);
    expect(rotated.keyType).toBe('ec');
  });

  test('the passphrase secret is read with the first identity, not on every refresh', async () => {
    const provider = track(
      fromSecretsManager({
        secretId: 'cache/p12',
        passphraseSecretId: 'cache/p12-pass',
        client,
        minRefreshInterval: 1,
        minForcedRefreshInterval: 0,
      }),
    );
    await provider.current();
    await provider.refresh({ force: true });
    sm.rotate('cache/p12', { binary: await toPkcs12(pki.clients.ecP256, passphrase) });
    const rotated = await provider.refresh({ force: true });
    expect(rotated.keyType).toBe('ec');
    expect(reads('cache/p12')).toBe(3);
    expect(reads('cache/p12-pass')).toBe(1);
  });

  test('forced refreshes are rate-limited per provider: two clients, a burst of forced refreshes, one read', async () => {
    const provider = track(fromSecretsManager({ secretId: 'cache/shared', client }));
    const a = createClient({ baseUrl: 'https://127.0.0.1:9', identity: provider });
    const b = createClient({ baseUrl: 'https://127.0.0.1:9', identity: provider });
    await provider.current();
    const before = reads('cache/shared');
    await provider.refresh({ force: true });
    await Promise.all([1, 2, 3].map(() => provider.refresh({ force: true })));
    expect(reads('cache/shared') - before).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("the Lambda extension's cache and a forced refresh", () => {
  test("through the extension a forced refresh sees the cached secret; forcedRefreshFrom 'secrets-manager' sees the rotation", async () => {
    const token = 'token-for-the-cache-test';
    const extension = await startLambdaSecretsExtension({
      secretsManager: sm,
      sessionToken: token,
      ttlMs: 60_000,
    });
    try {
      const common = {
        secretId: 'cache/extension',
        host: '127.0.0.1',
        port: extension.port,
        sessionToken: token,
      };
      const cached = track(fromLambdaExtension({ ...common, minForcedRefreshInterval: 0 }));
      const direct = track(
        fromLambdaExtension({
          ...common,
          forcedRefreshFrom: 'secrets-manager',
          secretsManagerClient: client,
          minForcedRefreshInterval: 0,
        }),
      );
      const original = (await cached.current()).fingerprint256;
      expect((await direct.current()).fingerprint256).toBe(original);
      sm.rotate('cache/extension', { string: secretOf(pki.clients.ecP256) });
      expect((await cached.refresh({ force: true })).fingerprint256).toBe(original);
      const fresh = await direct.refresh({ force: true });
      expect(fresh.fingerprint256).not.toBe(original);
      expect(fresh.keyType).toBe('ec');
    } finally {
      await extension.close();
    }
  });

  test('an invalid forcedRefreshFrom is CONFIG_INVALID naming it', () => {
    expect(() => fromLambdaExtension({ secretId: 'x', forcedRefreshFrom: 'cache' as never })).toThrow(
      /forcedRefreshFrom/,
    );
  });
});
