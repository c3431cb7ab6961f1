import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  type Issued,
  type LocalSecretsManager,
  localAwsClientConfig,
  localAwsCredentials,
  startLambdaSecretsExtension,
  startSecretsManager,
  type TestPki,
  toEncryptedPkcs8Pem,
  toPkcs12,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  fromEnv,
  fromFiles,
  fromIdentity,
  fromLambdaExtension,
  fromSecretsManager,
  type IdentityProvider,
  readIdentity,
} from '../src/index.ts';
import { expectRejection } from './identity-leak-guard.ts';

let pki: TestPki;
let sm: LocalSecretsManager;
let client: SecretsManagerClient;
const providers: IdentityProvider[] = [];
const passphrase = 'p12 passphrase 9c1e7d';
const versions: Record<string, string> = {};

const jsonSecret = (issued: Issued) =>
  JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });
const fingerprint = (issued: Issued) => new X509Certificate(issued.certPem).fingerprint256;
const keyPems = () => Object.values(pki.clients).map((c) => c.keyPem);
const track = <P extends IdentityProvider>(provider: P): P => {
  providers.push(provider);
  return provider;
};

beforeAll(async () => {
  pki = await createTestPki();
  const { valid, ecP256 } = pki.clients;
  sm = await startSecretsManager({
    secrets: [
      { name: 'consumer/api-client', string: jsonSecret(valid) },
      { name: 'consumer/p12', binary: await toPkcs12(valid, passphrase) },
      { name: 'consumer/p12-pass', string: passphrase },
      { name: 'consumer/p12-pass-json', string: JSON.stringify({ passphrase }) },
    ],
  });
  versions['current'] = Object.keys(sm.stagesOf('consumer/api-client'))[0] ?? '';
  versions['pending'] = sm.putSecret('consumer/api-client', { string: jsonSecret(ecP256) }, ['AWSPENDING']);
  // maxAttempts 1: the SDK's own retries would hide the injected faults.
  client = new SecretsManagerClient({ ...localAwsClientConfig(sm), maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  for (const provider of providers) provider.close();
  client?.destroy();
  await sm?.close();
});

describe('fromSecretsManager through the real AWS SDK client against the local endpoint', () => {
  test('AWSCURRENT by default: identity, source naming secret and stage, VersionId', async () => {
    const identity = await track(fromSecretsManager({ secretId: 'consumer/api-client', client })).current();
    expect(identity.fingerprint256).toBe(fingerprint(pki.clients.valid));
    expect(identity.source).toBe('secretsmanager:consumer/api-client@AWSCURRENT');
    expect(identity.version).toBe(versions['current']);
    expect(sm.calls.at(-1)).toMatchObject({ op: 'GetSecretValue', secretId: 'consumer/api-client' });
  });

  test('AWSPENDING stage and an explicit version id', async () => {
    const pending = await track(
      fromSecretsManager({ secretId: 'consumer/api-client', versionStage: 'AWSPENDING', client }),
    ).current();
    expect(pending.fingerprint256).toBe(fingerprint(pki.clients.ecP256));
    expect(pending.source).toBe('secretsmanager:consumer/api-client@AWSPENDING');
    expect(pending.version).toBe(versions['pending']);
    expect(sm.calls.at(-1)).toMatchObject({ versionStage: 'AWSPENDING' });

    const byId = await track(
      fromSecretsManager({
        secretId: 'consumer/api-client',
        versionId: versions['current'] as string,
        client,
      }),
    ).current();
    expect(byId.fingerprint256).toBe(fingerprint(pki.clients.valid));
    expect(sm.calls.at(-1)).toMatchObject({ versionId: versions['current'] });
  });

  test('the ARN works as secretId', async () => {
    const arn = sm.arnOf('consumer/api-client');
    const identity = await track(fromSecretsManager({ secretId: arn, client })).current();
    expect(identity.source).toBe(`secretsmanager:${arn}@AWSCURRENT`);
  });

  test('PKCS#12 in SecretBinary with the passphrase as an option, in a second secret (plain and JSON)', async () => {
    const expected = fingerprint(pki.clients.valid);
    const viaOption = await track(
      fromSecretsManager({ secretId: 'consumer/p12', passphrase, client }),
    ).current();
    expect(viaOption.fingerprint256).toBe(expected);
    const viaSecret = await track(
      fromSecretsManager({ secretId: 'consumer/p12', passphraseSecretId: 'consumer/p12-pass', client }),
    ).current();
    expect(viaSecret.fingerprint256).toBe(expected);
    expect(sm.calls.slice(-2).map((c) => c.secretId)).toEqual(['consumer/p12', 'consumer/p12-pass']);
    const viaJson = await track(
      fromSecretsManager({ secretId: 'consumer/p12', passphraseSecretId: 'consumer/p12-pass-json', client }),
    ).current();
    expect(viaJson.fingerprint256).toBe(expected);
    await expectRejection(
      track(fromSecretsManager({ secretId: 'consumer/p12', client })).current(),
      'IDENTITY_PASSPHRASE_MISSING',
      { keyPems: keyPems() },
    );
  });

  test('ResourceNotFoundException -> SECRET_NOT_FOUND with the AWS error as cause', async () => {
    const error = await expectRejection(
      track(fromSecretsManager({ secretId: 'consumer/missing', client })).current(),
      'SECRET_NOT_FOUND',
    );
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
    expect(error.message).toContain('consumer/missing');
    expect(error.hop).toBe('secret');
  });

  test('AccessDeniedException -> SECRET_ACCESS_DENIED with cause', async () => {
    sm.denyAccess('consumer/api-client', true);
    try {
      const error = await expectRejection(
        track(fromSecretsManager({ secretId: 'consumer/api-client', client })).current(),
        'SECRET_ACCESS_DENIED',
      );
      expect((error.cause as Error).name).toBe('AccessDeniedException');
    } finally {
      sm.denyAccess('consumer/api-client', false);
    }
  });

  test('ThrottlingException -> SECRET_THROTTLED with cause', async () => {
    sm.throttleNext(1);
    const error = await expectRejection(
      track(fromSecretsManager({ secretId: 'consumer/api-client', client })).current(),
      'SECRET_THROTTLED',
    );
    expect((error.cause as Error).name).toBe('ThrottlingException');
  });

  test('nothing listening -> SECRET_UNAVAILABLE; region/endpoint options build a client', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    process.env['AWS_ACCESS_KEY_ID'] = localAwsCredentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = localAwsCredentials.secretAccessKey;
    try {
      const own = await track(
        fromSecretsManager({ secretId: 'consumer/api-client', region: 'us-east-1', endpoint: sm.endpoint }),
      ).current();
      expect(own.fingerprint256).toBe(fingerprint(pki.clients.valid));
      const offline = new SecretsManagerClient({
        ...localAwsClientConfig(`http://127.0.0.1:${closedPort}`),
        maxAttempts: 1,
      });
      try {
        const error = await expectRejection(
          track(fromSecretsManager({ secretId: 'consumer/api-client', client: offline })).current(),
          'SECRET_UNAVAILABLE',
        );
        expect(error.cause).toBeInstanceOf(Error);
      } finally {
        offline.destroy();
      }
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test('an empty secretId is a ConfigError at construction', () => {
    expect(() => fromSecretsManager({ secretId: '' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('fromFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtls-link-identity-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('cert + encrypted key + chain, re-read on refresh (certificate renewed in place)', async () => {
    const { valid, ecP256 } = pki.clients;
    const cert = join(dir, 'client.crt');
    const key = join(dir, 'client.key');
    const chain = join(dir, 'chain.pem');
    await writeFile(cert, valid.certPem);
    await writeFile(key, toEncryptedPkcs8Pem(valid.keyPem, passphrase), { mode: 0o600 });
    await writeFile(chain, valid.chainPem);
    const provider = track(fromFiles({ cert, key, chain, passphrase }));
    const first = await provider.current();
    expect(first.fingerprint256).toBe(fingerprint(valid));
    expect(first.source).toBe(`files:${cert},${key},${chain}`);

    await writeFile(cert, ecP256.certPem);
    await writeFile(key, toEncryptedPkcs8Pem(ecP256.keyPem, passphrase), { mode: 0o600 });
    const events: boolean[] = [];
    provider.on('refresh', (e) => events.push(e.changed));
    const second = await provider.refresh({ force: true });
    expect(second.fingerprint256).toBe(fingerprint(ecP256));
    expect(events).toEqual([true]);
  });

  test('a PKCS#12 file', async () => {
    const pfx = join(dir, 'client.p12');
    await writeFile(pfx, await toPkcs12(pki.clients.valid, passphrase));
    const identity = await track(fromFiles({ pfx, passphrase })).current();
    expect(identity.fingerprint256).toBe(fingerprint(pki.clients.valid));
  });

  test('a missing file and a key file holding a certificate are typed errors naming the path', async () => {
    const missing = join(dir, 'nope.key');
    const cert = join(dir, 'only.crt');
    await writeFile(cert, pki.clients.valid.certPem);
    const error = await expectRejection(
      track(fromFiles({ cert, key: missing })).current(),
      'IDENTITY_FIELD_MISSING',
    );
    expect(error.message).toContain(missing);
    const noKey = await expectRejection(
      track(fromFiles({ cert, key: cert })).current(),
      'IDENTITY_FIELD_MISSING',
    );
    expect(noKey.message).toContain(cert);
  });
});

describe('fromEnv', () => {
  test('PEM with literal \\n escapes, and base64 of PEM, under the default prefix', async () => {
    const issued = pki.clients.valid;
    const env = {
      MTLS_LINK_CERT: issued.certPem.replaceAll('\n', '\\n'),
      MTLS_LINK_KEY: Buffer.from(issued.keyPem).toString('base64'),
      MTLS_LINK_CHAIN: issued.chainPem,
    };
    const identity = await track(fromEnv({ env })).current();
    expect(identity.fingerprint256).toBe(fingerprint(issued));
    expect(identity.chain).toHaveLength(1);
  });

  test('PFX_BASE64 with PASSPHRASE under a custom prefix', async () => {
    const env = {
      APP_PFX_BASE64: Buffer.from(await toPkcs12(pki.clients.ecP384, passphrase)).toString('base64'),
      APP_PASSPHRASE: passphrase,
    };
    const identity = await track(fromEnv({ prefix: 'APP_', env })).current();
    expect(identity.fingerprint256).toBe(fingerprint(pki.clients.ecP384));
  });

  test('a missing variable is a CONFIG_INVALID naming it; a broken one names the variable as the field', async () => {
    const error = await expectRejection(
      track(fromEnv({ env: { MTLS_LINK_CERT: pki.clients.valid.certPem } })).current(),
      'CONFIG_INVALID',
    );
    expect(error.message).toContain('MTLS_LINK_KEY');
    const broken = await expectRejection(
      track(
        fromEnv({ env: { MTLS_LINK_CERT: 'garbage', MTLS_LINK_KEY: pki.clients.valid.keyPem } }),
      ).current(),
      'IDENTITY_PEM_INVALID',
      { keyPems: keyPems() },
    );
    expect(broken.details).toMatchObject({ field: 'MTLS_LINK_CERT' });
  });
});

describe('fromLambdaExtension against the local extension stand-in', () => {
  const token = 'session-token-for-tests';
  let extension: Awaited<ReturnType<typeof startLambdaSecretsExtension>>;
  beforeAll(async () => {
    extension = await startLambdaSecretsExtension({ secretsManager: sm, sessionToken: token });
  });
  afterAll(async () => {
    await extension?.close();
  });
  const at = () => ({ host: '127.0.0.1', port: extension.port });

  test('reads the secret with the session-token header (AWS_SESSION_TOKEN by default), stages pass through', async () => {
    const saved = process.env['AWS_SESSION_TOKEN'];
    process.env['AWS_SESSION_TOKEN'] = token;
    try {
      const identity = await track(
        fromLambdaExtension({ secretId: 'consumer/api-client', ...at() }),
      ).current();
      expect(identity.fingerprint256).toBe(fingerprint(pki.clients.valid));
      expect(identity.source).toBe('lambda-extension:consumer/api-client@AWSCURRENT');
      expect(sm.calls.at(-1)).toMatchObject({ source: 'lambda-extension', secretId: 'consumer/api-client' });
    } finally {
      if (saved === undefined) delete process.env['AWS_SESSION_TOKEN'];
      else process.env['AWS_SESSION_TOKEN'] = saved;
    }
    const pending = await track(
      fromLambdaExtension({
        secretId: 'consumer/api-client',
        versionStage: 'AWSPENDING',
        sessionToken: token,
        ...at(),
      }),
    ).current();
    expect(pending.fingerprint256).toBe(fingerprint(pki.clients.ecP256));
    expect(pending.version).toBe(versions['pending']);
  });

  test('PKCS#12 SecretBinary comes through base64 and reads with the passphrase option', async () => {
    const identity = await track(
      fromLambdaExtension({ secretId: 'consumer/p12', passphrase, sessionToken: token, ...at() }),
    ).current();
    expect(identity.fingerprint256).toBe(fingerprint(pki.clients.valid));
  });

  test('a wrong token is refused (SECRET_ACCESS_DENIED), an unknown secret is SECRET_NOT_FOUND, no token is CONFIG_INVALID', async () => {
    const refusedBefore = extension.refused;
    await expectRejection(
      track(
        fromLambdaExtension({ secretId: 'consumer/api-client', sessionToken: 'wrong', ...at() }),
      ).current(),
      'SECRET_ACCESS_DENIED',
    );
    expect(extension.refused).toBe(refusedBefore + 1);
    const notFound = await expectRejection(
      track(fromLambdaExtension({ secretId: 'consumer/missing', sessionToken: token, ...at() })).current(),
      'SECRET_NOT_FOUND',
    );
    expect((notFound.cause as Error).name).toBe('ResourceNotFoundException');
    const saved = process.env['AWS_SESSION_TOKEN'];
    delete process.env['AWS_SESSION_TOKEN'];
    try {
      await expectRejection(
        track(fromLambdaExtension({ secretId: 'x', ...at() })).current(),
        'CONFIG_INVALID',
      );
    } finally {
      if (saved !== undefined) process.env['AWS_SESSION_TOKEN'] = saved;
    }
  });
});

test('fromIdentity serves a fixed identity', async () => {
  const identity = readIdentity({ source: 'static', secretString: jsonSecret(pki.clients.valid) });
  const provider = fromIdentity(identity);
  expect(await provider.current()).toBe(identity);
  expect(await provider.refresh({ force: true })).toBe(identity);
});
