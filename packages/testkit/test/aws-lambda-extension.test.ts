import {
  type LocalLambdaSecretsExtension,
  type LocalSecretsManager,
  startLambdaSecretsExtension,
  startSecretsManager,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const token = 'session-token-for-tests';
let sm: LocalSecretsManager;
let extension: LocalLambdaSecretsExtension;

beforeAll(async () => {
  sm = await startSecretsManager({ secrets: [{ name: 'consumer/api-client', string: 'v1' }] });
  extension = await startLambdaSecretsExtension({ secretsManager: sm, sessionToken: token });
});

afterAll(async () => {
  await extension.close();
  await sm.close();
});

const get = (query: string, headers: Record<string, string> = { 'X-Aws-Parameters-Secrets-Token': token }) =>
  fetch(`${extension.endpoint}/secretsmanager/get?${query}`, { headers });

describe('Lambda Parameters and Secrets extension stand-in', () => {
  test('answers the GetSecretValue JSON shape and records the read on the Secrets Manager', async () => {
    const before = sm.calls.length;
    const response = await get('secretId=consumer%2Fapi-client');
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      Name: 'consumer/api-client',
      SecretString: 'v1',
      VersionStages: ['AWSCURRENT'],
      ARN: sm.arnOf('consumer/api-client'),
    });
    expect(typeof body['VersionId']).toBe('string');
    expect(typeof body['CreatedDate']).toBe('number');
    expect(sm.calls.slice(before)).toEqual([
      { op: 'GetSecretValue', secretId: 'consumer/api-client', source: 'lambda-extension' },
    ]);
  });

  test('refuses a missing or wrong token with 403 and never reads the secret', async () => {
    const before = sm.calls.length;
    const refusedBefore = extension.refused;
    expect((await get('secretId=consumer%2Fapi-client', {})).status).toBe(403);
    expect(
      (await get('secretId=consumer%2Fapi-client', { 'X-Aws-Parameters-Secrets-Token': 'wrong' })).status,
    ).toBe(403);
    expect(sm.calls.length).toBe(before);
    expect(extension.refused).toBe(refusedBefore + 2);
  });

  test('selects a version stage and passes Secrets Manager errors through', async () => {
    sm.putSecret('consumer/api-client', { string: 'v2-pending' }, ['AWSPENDING']);
    const pending = await get('secretId=consumer%2Fapi-client&versionStage=AWSPENDING');
    expect(((await pending.json()) as { SecretString: string }).SecretString).toBe('v2-pending');

    const missing = await get('secretId=nope');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    sm.throttleNext(1);
    const throttled = await get('secretId=consumer%2Fapi-client');
    expect(((await throttled.json()) as { __type: string }).__type).toBe('ThrottlingException');
  });

  test('with ttlMs a repeated read is served from its cache, not from Secrets Manager', async () => {
    const cached = await startLambdaSecretsExtension({
      secretsManager: sm,
      sessionToken: token,
      ttlMs: 60_000,
    });
    try {
      const read = async () => {
        const response = await fetch(`${cached.endpoint}/secretsmanager/get?secretId=consumer%2Fapi-client`, {
          headers: { 'X-Aws-Parameters-Secrets-Token': token },
        });
        return ((await response.json()) as { SecretString: string }).SecretString;
      };
      const first = await read();
      const callsAfterFirst = sm.calls.length;
      sm.rotate('consumer/api-client', { string: 'rotated' });
      expect(await read()).toBe(first);
      expect(sm.calls.length).toBe(callsAfterFirst);
      expect(await (await get('secretId=consumer%2Fapi-client')).json()).toMatchObject({
        SecretString: 'rotated',
      });
    } finally {
      await cached.close();
    }
  });
});
