import { Resolver } from 'node:dns/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  identitySecret,
  type LocalProducer,
  localAwsClientConfig,
  startLocalProducer,
} from '@mtls-link/testkit';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

describe('startLocalProducer', () => {
  let producer: LocalProducer;
  beforeAll(async () => {
    producer = await startLocalProducer({
      apiHost: 'widgets.internal.example',
      secrets: { 'consumer/good': 'valid', 'consumer/revoked': 'revoked' },
    });
  });
  afterAll(() => producer.close());

  const get = async (flavour: 'valid' | 'revoked') => {
    const client = producer.pki.clients[flavour];
    const agent = new Agent({
      connect: {
        ca: producer.pki.trustStorePem,
        cert: `${client.certPem}${client.chainPem}`,
        key: client.keyPem,
        servername: 'widgets.internal.example',
      },
    });
    try {
      const { statusCode, body } = await request(`https://127.0.0.1:${producer.gateway.port}/widgets/1`, {
        dispatcher: agent,
      });
      return { statusCode, body: await body.json() };
    } finally {
      await agent.close();
    }
  };

  test('serves the widgets API in verify mode to the valid client, for the API host name', async () => {
    expect(producer.baseUrl).toBe(`https://widgets.internal.example:${producer.gateway.port}`);
    expect(await get('valid')).toEqual({ statusCode: 200, body: { id: '1', value: '4.99' } });
    expect(producer.gateway.connectionLog.at(-1)?.tlsVerifyStatus).toBe('Success');
  });

  test('refuses the revoked client, because the trust store carries the CRLs', async () => {
    await expect(get('revoked')).rejects.toThrow();
    expect(producer.gateway.connectionLog.at(-1)?.tlsVerifyStatus).toBe('Failed:ClientCertCrlHit');
  });

  test('holds each seeded identity in the local Secrets Manager, in the JSON layout the SDK reads', async () => {
    expect(producer.secretId).toBe('consumer/good');
    const client = new SecretsManagerClient({ ...localAwsClientConfig(producer.secrets), maxAttempts: 1 });
    const secret = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/revoked' }));
    client.destroy();
    expect(secret.SecretString).toBe(identitySecret(producer.pki.clients.revoked));
    expect(JSON.parse(secret.SecretString ?? '{}')).toHaveProperty('privateKey');
  });

  test("answers the API host name from its DNS server, as the consumer VPC's private zone would", async () => {
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([producer.dns?.address ?? '']);
    expect(await resolver.resolve4('widgets.internal.example')).toEqual(['127.0.0.1']);
  });
});

test('without options: one valid identity under consumer/api-client, no DNS server, an IP base URL', async () => {
  const producer = await startLocalProducer();
  try {
    expect(producer.secretId).toBe('consumer/api-client');
    expect(producer.dns).toBeUndefined();
    expect(producer.baseUrl).toBe(`https://127.0.0.1:${producer.gateway.port}`);
  } finally {
    await producer.close();
  }
});

test('a part that fails to start (bad gateway option) leaves no other server listening', async () => {
  // Node reports a closed server's handle until its close completes: poll rather than read once.
  const listeners = () =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'UDPWrap').length;
  await expect.poll(listeners, { timeout: 5_000 }).toBe(0);
  await expect(
    startLocalProducer({
      apiHost: 'widgets.internal.example',
      gateway: { refusal: { style: 'drop' as never } },
    }),
  ).rejects.toMatchObject({ code: 'GATEWAY_OPTIONS_INVALID' });
  await expect.poll(listeners, { timeout: 5_000 }).toBe(0);
});
