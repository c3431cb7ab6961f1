import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type LocalSecretsManager,
  localAwsCredentials,
  type RotationEvent,
  startSecretsManager,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

let sm: LocalSecretsManager;
let client: SecretsManagerClient;
const lambda = 'arn:aws:lambda:us-east-1:123456789012:function:rotate';

beforeAll(async () => {
  sm = await startSecretsManager({
    secrets: ['rot/ok', 'rot/fails', 'rot/later'].map((name) => ({ name, string: 'v1' })),
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

/** A rotation function that does what the AWS templates do, through the real client. */
const templateFunction = (seen: RotationEvent[], failAt?: string) => async (event: RotationEvent) => {
  seen.push(event);
  if (event.Step === failAt) throw new Error(`${failAt} refused`);
  if (event.Step === 'createSecret') {
    await client.send(
      new PutSecretValueCommand({
        SecretId: event.SecretId,
        ClientRequestToken: event.ClientRequestToken,
        SecretString: 'v2',
        VersionStages: ['AWSPENDING'],
      }),
    );
  }
  if (event.Step === 'finishSecret') {
    const described = await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes('AWSCURRENT'),
    )?.[0];
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: event.SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: event.ClientRequestToken,
        ...(current === undefined ? {} : { RemoveFromVersionId: current }),
      }),
    );
  }
};

describe('RotateSecret', () => {
  test('opens an AWSPENDING version named by the token, runs the four steps in order, then drops AWSPENDING', async () => {
    const seen: RotationEvent[] = [];
    let pendingBeforeCreate: Record<string, string[]> = {};
    sm.setRotationFunction(lambda, async (event) => {
      if (event.Step === 'createSecret') {
        pendingBeforeCreate = sm.stagesOf('rot/ok');
        // Before createSecret fills it, the new version has no value.
        const error = await rejection(
          client.send(new GetSecretValueCommand({ SecretId: 'rot/ok', VersionStage: 'AWSPENDING' })),
        );
        expect(error.name).toBe('ResourceNotFoundException');
      }
      await templateFunction(seen)(event);
    });
    const out = await client.send(
      new RotateSecretCommand({
        SecretId: 'rot/ok',
        RotationLambdaARN: lambda,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // The same request again (as an SDK retry sends it) starts nothing new.
    const retried = await client.send(
      new RotateSecretCommand({
        SecretId: 'rot/ok',
        ClientRequestToken: out.VersionId,
        RotationLambdaARN: lambda,
      }),
    );
    expect(retried.VersionId).toBe(out.VersionId);
    const outcome = await sm.rotation(out.VersionId ?? '');
    expect(outcome).toEqual({
      versionId: out.VersionId,
      completed: true,
      steps: ['createSecret', 'setSecret', 'testSecret', 'finishSecret'],
    });
    expect(seen.map((e) => [e.Step, e.ClientRequestToken, e.SecretId])).toEqual(
      ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((s) => [
        s,
        out.VersionId,
        sm.arnOf('rot/ok'),
      ]),
    );
    expect(pendingBeforeCreate[out.VersionId ?? '']).toEqual(['AWSPENDING']);
    expect(Object.values(sm.stagesOf('rot/ok')).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rot/ok' }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe(lambda);
    expect(described.RotationRules?.AutomaticallyAfterDays).toBe(30);
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'rot/ok' }))).SecretString).toBe('v2');
  });

  test('a failing step stops the rotation, AWSCURRENT stays, and a new RotateSecret is refused while AWSPENDING waits', async () => {
    const seen: RotationEvent[] = [];
    sm.setRotationFunction(`${lambda}-fails`, templateFunction(seen, 'testSecret'));
    const out = await client.send(
      new RotateSecretCommand({ SecretId: 'rot/fails', RotationLambdaARN: `${lambda}-fails` }),
    );
    const outcome = await sm.rotation(out.VersionId ?? '');
    expect(outcome).toMatchObject({
      completed: false,
      failedStep: 'testSecret',
      error: 'testSecret refused',
    });
    expect(seen.map((e) => e.Step)).toEqual(['createSecret', 'setSecret', 'testSecret']);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'rot/fails' }))).SecretString).toBe('v1');
    expect(sm.stagesOf('rot/fails')[out.VersionId ?? '']).toEqual(['AWSPENDING']);
    const again = await rejection(client.send(new RotateSecretCommand({ SecretId: 'rot/fails' })));
    expect(again.name).toBe('InvalidRequestException');
    expect(again.message).toContain("previous rotation isn't complete");
  });

  test('no function known for the ARN, or none configured: the errors the service answers; RotateImmediately false only configures', async () => {
    const unknown = await rejection(
      client.send(new RotateSecretCommand({ SecretId: 'rot/later', RotationLambdaARN: `${lambda}-nope` })),
    );
    expect(unknown.name).toBe('AccessDeniedException');
    const none = await rejection(client.send(new RotateSecretCommand({ SecretId: 'rot/later' })));
    expect(none.name).toBe('InvalidRequestException');
    sm.setRotationFunction(`${lambda}-later`, templateFunction([]));
    const configured = await client.send(
      new RotateSecretCommand({
        SecretId: 'rot/later',
        RotationLambdaARN: `${lambda}-later`,
        RotateImmediately: false,
      }),
    );
    expect(configured.VersionId).toBeUndefined();
    expect(Object.values(sm.stagesOf('rot/later'))).toEqual([['AWSCURRENT']]);
    expect((await client.send(new DescribeSecretCommand({ SecretId: 'rot/later' }))).RotationEnabled).toBe(
      true,
    );
  });
});
