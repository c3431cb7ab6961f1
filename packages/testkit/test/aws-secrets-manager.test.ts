import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  isTestkitError,
  type LocalSecretsManager,
  localAwsClientConfig,
  localAwsCredentials,
  startSecretsManager,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

let sm: LocalSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  sm = await startSecretsManager({
    secrets: [
      {
        name: 'consumer/api-client',
        string: '{"cert":"one"}',
        description: 'client identity',
        tags: { team: 'a' },
      },
      { name: 'consumer/p12', binary: new Uint8Array([0, 1, 2, 250, 255]) },
    ],
  });
  client = new SecretsManagerClient({
    endpoint: sm.endpoint,
    region: 'us-east-1',
    credentials: localAwsCredentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await sm.close();
});

describe('GetSecretValue', () => {
  test('reads a string secret by name and by ARN with the real response fields', async () => {
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' }));
    expect(byName.SecretString).toBe('{"cert":"one"}');
    expect(byName.Name).toBe('consumer/api-client');
    expect(byName.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:consumer\/api-client-\w{6}$/,
    );
    expect(byName.VersionStages).toEqual(['AWSCURRENT']);
    expect(byName.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs(byName.CreatedDate!.getTime() - Date.now())).toBeLessThan(60_000);

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    expect(byArn.VersionId).toBe(byName.VersionId);
    const byPartialArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN!.slice(0, -7) }));
    expect(byPartialArn.VersionId).toBe(byName.VersionId);
  });

  test('returns SecretBinary bytes intact (base64 on the wire)', async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' }));
    expect(out.SecretString).toBeUndefined();
    expect([...(out.SecretBinary ?? [])]).toEqual([0, 1, 2, 250, 255]);
  });

  test('an unknown secret is ResourceNotFoundException with the AWS message, HTTP 400', async () => {
    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('an unknown stage or version id is ResourceNotFoundException naming it', async () => {
    const stage = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client', VersionStage: 'AWSPENDING' })),
    );
    expect(stage.name).toBe('ResourceNotFoundException');
    expect(stage.message).toContain('staging label: AWSPENDING');
    const version = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client', VersionId: 'v-missing' })),
    );
    expect(version.name).toBe('ResourceNotFoundException');
    expect(version.message).toContain('VersionId: v-missing');
  });
});

describe('versions and rotation', () => {
  test('PutSecretValue makes the new version AWSCURRENT and the old one AWSPREVIOUS', async () => {
    await client.send(new CreateSecretCommand({ Name: 'rot/a', SecretString: 'v1' }));
    const first = await client.send(new GetSecretValueCommand({ SecretId: 'rot/a' }));
    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: 'rot/a',
        SecretString: 'v2',
        ClientRequestToken: 'token-v2-000000000000000000000000000',
      }),
    );
    expect(put.VersionId).toBe('token-v2-000000000000000000000000000');
    expect(put.VersionStages).toEqual(['AWSCURRENT']);

    expect((await client.send(new GetSecretValueCommand({ SecretId: 'rot/a' }))).SecretString).toBe('v2');
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'rot/a', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('v1');
    expect(previous.VersionId).toBe(first.VersionId);
    const byId = await client.send(
      new GetSecretValueCommand({ SecretId: 'rot/a', VersionId: first.VersionId }),
    );
    expect(byId.VersionStages).toEqual(['AWSPREVIOUS']);

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rot/a' }));
    expect(described.VersionIdsToStages).toEqual({
      [first.VersionId!]: ['AWSPREVIOUS'],
      'token-v2-000000000000000000000000000': ['AWSCURRENT'],
    });
  });

  test('PutSecretValue with the same token is idempotent; a different value under it is refused', async () => {
    const token = 'token-idem-0000000000000000000000000';
    const a = await client.send(
      new PutSecretValueCommand({ SecretId: 'rot/a', SecretString: 'v3', ClientRequestToken: token }),
    );
    const b = await client.send(
      new PutSecretValueCommand({ SecretId: 'rot/a', SecretString: 'v3', ClientRequestToken: token }),
    );
    expect(b.VersionId).toBe(a.VersionId);
    const clash = await rejection(
      client.send(
        new PutSecretValueCommand({ SecretId: 'rot/a', SecretString: 'other', ClientRequestToken: token }),
      ),
    );
    expect(clash.name).toBe('ResourceExistsException');
  });

  test('an AWSPENDING version is readable by stage and promoted with UpdateSecretVersionStage', async () => {
    sm.putSecret('rot/b', { string: 'old' });
    const pending = await client.send(
      new PutSecretValueCommand({ SecretId: 'rot/b', SecretString: 'new', VersionStages: ['AWSPENDING'] }),
    );
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'rot/b' }))).SecretString).toBe('old');
    const readPending = await client.send(
      new GetSecretValueCommand({ SecretId: 'rot/b', VersionStage: 'AWSPENDING' }),
    );
    expect(readPending.SecretString).toBe('new');

    const [currentId] = Object.entries(sm.stagesOf('rot/b')).find(([, s]) => s.includes('AWSCURRENT'))!;
    const missingRemove = await rejection(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'rot/b',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: pending.VersionId,
        }),
      ),
    );
    expect(missingRemove.name).toBe('InvalidParameterException');
    expect(missingRemove.message).toContain('RemoveFromVersionId');

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'rot/b',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: currentId,
      }),
    );
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'rot/b',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pending.VersionId,
      }),
    );
    expect(sm.stagesOf('rot/b')).toEqual({
      [pending.VersionId!]: ['AWSCURRENT'],
      [currentId]: ['AWSPREVIOUS'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'rot/b' }))).SecretString).toBe('new');
  });

  test('rotate() from the test side is seen by the next read', async () => {
    const before = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' }));
    const id = sm.rotate('consumer/api-client', { string: '{"cert":"two"}' });
    const after = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' }));
    expect(after.VersionId).toBe(id);
    expect(after.SecretString).toBe('{"cert":"two"}');
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'consumer/api-client', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.VersionId).toBe(before.VersionId);
  });

  test('DescribeSecret reports name, description, tags and rotation state', async () => {
    const out = await client.send(new DescribeSecretCommand({ SecretId: 'consumer/api-client' }));
    expect(out.Name).toBe('consumer/api-client');
    expect(out.Description).toBe('client identity');
    expect(out.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    expect(out.RotationEnabled).toBe(false);
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(out.LastChangedDate).toBeInstanceOf(Date);
  });

  test('CreateSecret refuses an existing name with ResourceExistsException', async () => {
    const error = await rejection(
      client.send(new CreateSecretCommand({ Name: 'consumer/p12', SecretString: 'x' })),
    );
    expect(error.name).toBe('ResourceExistsException');
  });
});

describe('test-side set-up', () => {
  test('a seed without a value has no AWSCURRENT version until one is put', async () => {
    const local = await startSecretsManager({ secrets: [{ name: 'empty' }] });
    const other = new SecretsManagerClient({ ...localAwsClientConfig(local), maxAttempts: 1 });
    try {
      const error = await rejection(other.send(new GetSecretValueCommand({ SecretId: 'empty' })));
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toContain('staging label: AWSCURRENT');
      local.putSecret('empty', { string: 'now' });
      expect((await other.send(new GetSecretValueCommand({ SecretId: 'empty' }))).SecretString).toBe('now');
    } finally {
      other.destroy();
      await local.close();
    }
  });

  test('putSecret refuses a value with both or neither of string and binary, naming the secret', () => {
    for (const value of [{}, { string: 'a', binary: new Uint8Array([1]) }]) {
      let thrown: unknown;
      try {
        sm.putSecret('bad/value', value);
      } catch (error) {
        thrown = error;
      }
      expect(isTestkitError(thrown)).toBe(true);
      expect((thrown as Error).message).toContain("'bad/value'");
    }
    expect(() => sm.arnOf('bad/value')).toThrow(/no secret named 'bad\/value'/);
  });
});

describe('faults on demand', () => {
  test('throttleNext(n) answers ThrottlingException n times, then recovers', async () => {
    sm.throttleNext(2);
    for (let i = 0; i < 2; i++) {
      const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' })));
      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Rate exceeded');
    }
    const ok = await client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' }));
    expect(ok.Name).toBe('consumer/p12');
  });

  test('the SDK retries a throttled call by itself when it may (maxAttempts 3)', async () => {
    const retrying = new SecretsManagerClient({
      endpoint: sm.endpoint,
      region: 'us-east-1',
      credentials: localAwsCredentials,
      maxAttempts: 3,
    });
    const before = sm.calls.length;
    sm.throttleNext(1);
    const out = await retrying.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' }));
    retrying.destroy();
    expect(out.Name).toBe('consumer/p12');
    expect(sm.calls.slice(before).map((c) => c.error ?? 'ok')).toEqual(['ThrottlingException', 'ok']);
  });

  test('denyAccess answers AccessDeniedException for that secret only, by name or ARN', async () => {
    sm.denyAccess('consumer/p12', true);
    try {
      const byName = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' })));
      expect(byName.name).toBe('AccessDeniedException');
      expect(byName.message).toContain('secretsmanager:GetSecretValue');
      const byArn = await rejection(
        client.send(new DescribeSecretCommand({ SecretId: sm.arnOf('consumer/p12') })),
      );
      expect(byArn.name).toBe('AccessDeniedException');
      await expect(
        client.send(new GetSecretValueCommand({ SecretId: 'consumer/api-client' })),
      ).resolves.toBeDefined();
    } finally {
      sm.denyAccess('consumer/p12', false);
    }
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' }))).resolves.toBeDefined();
  });

  test('failNext injects DecryptionFailure and a 500 InternalServiceError', async () => {
    sm.failNext(1, 'DecryptionFailure');
    sm.failNext(1, 'InternalServiceError');
    const decryption = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' })));
    expect(decryption.name).toBe('DecryptionFailure');
    const internal = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'consumer/p12' })));
    expect(internal.name).toBe('InternalServiceError');
    expect(internal.$metadata?.httpStatusCode).toBe(500);
  });

  test('calls records every action with its secret id and stage', async () => {
    const before = sm.calls.length;
    await client.send(
      new GetSecretValueCommand({ SecretId: 'consumer/api-client', VersionStage: 'AWSCURRENT' }),
    );
    await client.send(new DescribeSecretCommand({ SecretId: 'consumer/api-client' }));
    expect(sm.calls.slice(before)).toEqual([
      { op: 'GetSecretValue', secretId: 'consumer/api-client', versionStage: 'AWSCURRENT', source: 'api' },
      { op: 'DescribeSecret', secretId: 'consumer/api-client', source: 'api' },
    ]);
  });
});
