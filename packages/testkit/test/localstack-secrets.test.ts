import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  createTestPki,
  dockerAvailable,
  type LocalStack,
  startLocalStack,
  type TestPki,
  toPkcs12,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const docker = await dockerAvailable();
if (!docker.ok) console.warn(`skipping the LocalStack Secrets Manager tests: ${docker.reason}`);

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

describe('dockerAvailable', () => {
  test('a missing socket is reported at once, naming the path', async () => {
    const started = performance.now();
    const status = await dockerAvailable({ dockerHost: 'unix:///nonexistent/docker.sock' });
    expect(status).toEqual({
      ok: false,
      reason: 'no Docker engine: /nonexistent/docker.sock does not exist',
    });
    // Well under the 1500 ms connect timeout: the path was checked, nothing waited (loose for busy machines).
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('an engine that answers /_ping with OK is available', async () => {
    const engine = createHttpServer((req, res) => {
      res.end(req.url === '/_ping' ? 'OK' : 'no');
    });
    const port = await listen(engine);
    try {
      expect(await dockerAvailable({ dockerHost: `tcp://127.0.0.1:${port}` })).toEqual({
        ok: true,
        reason: `Docker engine at 127.0.0.1:${port} answered /_ping`,
      });
    } finally {
      engine.close();
    }
  });

  test('a closed port and a silent peer both fail fast with the reason', async () => {
    const silent = createTcpServer(() => {
      // accepts and never answers
    });
    const silentPort = await listen(silent);
    const closed = createTcpServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    try {
      const started = performance.now();
      const [refused, hanging] = await Promise.all([
        dockerAvailable({ dockerHost: `tcp://127.0.0.1:${closedPort}` }),
        dockerAvailable({ dockerHost: `tcp://127.0.0.1:${silentPort}`, timeoutMs: 300 }),
      ]);
      expect(refused).toMatchObject({
        ok: false,
        reason: expect.stringContaining(`127.0.0.1:${closedPort}`),
      });
      expect(hanging).toMatchObject({
        ok: false,
        reason: expect.stringContaining('no answer within 300 ms'),
      });
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  test('an unusable DOCKER_HOST is named', async () => {
    expect(await dockerAvailable({ dockerHost: 'ssh://example' })).toEqual({
      ok: false,
      reason: 'DOCKER_HOST ssh://example is neither unix:// nor tcp://',
    });
  });
});

describe.skipIf(!docker.ok)('Secrets Manager on LocalStack (testcontainers)', () => {
  let localstack: LocalStack;
  let client: SecretsManagerClient;
  let pki: TestPki;
  beforeAll(async () => {
    [localstack, pki] = await Promise.all([startLocalStack(), createTestPki()]);
    client = new SecretsManagerClient({
      endpoint: localstack.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }, 180_000);
  afterAll(async () => {
    client?.destroy();
    await localstack?.close();
  }, 60_000);

  test('a JSON client identity is stored and read back intact', async () => {
    const identity = {
      certificate: pki.clients.valid.certPem,
      privateKey: pki.clients.valid.keyPem,
      certificateChain: pki.clients.valid.chainPem,
    };
    await client.send(
      new CreateSecretCommand({ Name: 'consumer/api-client', SecretString: JSON.stringify(identity) }),
    );
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' }));
    const parsed = JSON.parse(read.SecretString ?? '{}') as typeof identity;
    expect(parsed).toEqual(identity);
    expect(new X509Certificate(parsed.certificate).checkPrivateKey(createPrivateKey(parsed.privateKey))).toBe(
      true,
    );
  });

  test('a rotation keeps the old identity as AWSPREVIOUS', async () => {
    const next = { certificate: pki.clients.ecP384.certPem, privateKey: pki.clients.ecP384.keyPem };
    await client.send(
      new PutSecretValueCommand({ SecretId: 'consumer/api-client', SecretString: JSON.stringify(next) }),
    );
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' }));
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'consumer/api-client', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(JSON.parse(current.SecretString ?? '{}')).toEqual(next);
    expect(JSON.parse(previous.SecretString ?? '{}').certificate).toBe(pki.clients.valid.certPem);
  });

  test('a PKCS#12 identity in SecretBinary comes back byte for byte', async () => {
    const pfx = await toPkcs12(pki.clients.rsa2048, 'p12-pass');
    await client.send(new CreateSecretCommand({ Name: 'consumer/api-client-p12', SecretBinary: pfx }));
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client-p12' }));
    expect(Buffer.from(read.SecretBinary ?? new Uint8Array()).equals(Buffer.from(pfx))).toBe(true);
  });
});
