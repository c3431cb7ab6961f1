import { performance } from 'node:perf_hooks';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import {
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createClient, fromSecretsManager } from '@mtls-link/sdk';
import {
  createTestPki,
  type Gateway,
  identitySecret,
  type LocalAcmPca,
  type LocalSecretsManager,
  localAwsClientConfig,
  type RotationFunction,
  startAcmPca,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isProbeError } from '../src/errors.ts';
import { createRotationHandler, ROTATION_ENV, type RotationEvent } from '../src/rotation/handler.ts';
import { localAwsEnv } from './helpers/built-cli.ts';
import { assertNoKeyMaterial } from './helpers/pki-files.ts';

let pki: TestPki;
let gateway: Gateway;
let secrets: LocalSecretsManager;
let pca: LocalAcmPca;
let foreignPca: LocalAcmPca;
let sm: SecretsManagerClient;
const saved = { ...process.env };

const seeds = ['rotate/live', 'rotate/refused', 'rotate/steps', 'rotate/slow'];

beforeAll(async () => {
  pki = await createTestPki();
  // The probe engine inside testSecret builds its own Secrets Manager client from the environment.
  Object.assign(process.env, localAwsEnv);
  [gateway, secrets, pca, foreignPca] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem },
      tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
    }),
    startSecretsManager({
      secrets: seeds.map((name) => ({ name, string: identitySecret(pki.clients.valid) })),
    }),
    startAcmPca({ ca: pki.intermediate, inProgressPolls: 1 }),
    // A CA the gateway's trust store does not hold: what it issues must never be promoted.
    startAcmPca({ ca: pki.foreignRoot, inProgressPolls: 0 }),
  ]);
  sm = new SecretsManagerClient(localAwsClientConfig(secrets));
}, 60_000);

afterAll(async () => {
  for (const key of Object.keys(localAwsEnv)) if (!(key in saved)) delete process.env[key];
  sm?.destroy();
  await Promise.all([gateway?.close(), secrets?.close(), pca?.close(), foreignPca?.close()]);
});

interface Rotator {
  readonly handler: (event: RotationEvent) => ReturnType<ReturnType<typeof createRotationHandler>>;
  /** The log lines so far, parsed. */
  lines(): Record<string, unknown>[];
  readonly raw: string[];
}

function rotator(ca: LocalAcmPca, extraEnv: NodeJS.ProcessEnv = {}): Rotator {
  const raw: string[] = [];
  const handler = createRotationHandler({
    env: {
      ...localAwsEnv,
      [ROTATION_ENV.caArn]: ca.arn,
      [ROTATION_ENV.url]: `${gateway.url}/widgets`,
      [ROTATION_ENV.ca]: pki.root.certPem,
      [ROTATION_ENV.timeoutMs]: '3000',
      ...extraEnv,
    },
    secrets: sm,
    pca: new ACMPCAClient(localAwsClientConfig(ca)),
    secretsEndpoint: secrets.endpoint,
    write: (line) => raw.push(line),
  });
  return {
    handler,
    raw,
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Every private key any version of the secret holds. */
async function keysOf(secretId: string): Promise<string[]> {
  const keys: string[] = [pki.clients.valid.keyPem];
  for (const versionId of Object.keys(secrets.stagesOf(secretId))) {
    try {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
      const key = (JSON.parse(out.SecretString ?? '{}') as { privateKey?: string }).privateKey;
      if (key !== undefined) keys.push(key);
    } catch {
      // A version RotateSecret opened and createSecret never filled has no value.
    }
  }
  return keys;
}

const versionWith = (secretId: string, stage: string) =>
  Object.entries(secrets.stagesOf(secretId)).find(([, stages]) => stages.includes(stage))?.[0];

async function rotate(secretId: string, fn: RotationFunction, lambdaArn: string) {
  secrets.setRotationFunction(lambdaArn, fn);
  const out = await sm.send(
    new RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: lambdaArn,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  return { versionId: out.VersionId ?? '', outcome: await secrets.rotation(out.VersionId ?? '') };
}

describe('the rotation function, invoked by RotateSecret', () => {
  test('a full rotation while an SDK client sends requests: none fails, and the client then presents the new serial', async () => {
    const { handler, lines, raw } = rotator(pca);
    const oldVersion = versionWith('rotate/live', 'AWSCURRENT');
    const identity = fromSecretsManager({ secretId: 'rotate/live', client: sm, refreshEvery: '1h' });
    const api = createClient({ baseUrl: gateway.url, identity, ca: pki.root.certPem });
    let stop = false;
    let sent = 0;
    const failures: unknown[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        sent += 1;
        try {
          const answer = await api.request({ method: 'GET', path: '/widgets' });
          if (answer.status !== 200) failures.push(answer.status);
        } catch (error) {
          failures.push(error);
        }
      }
    });
    try {
      const { versionId, outcome } = await rotate(
        'rotate/live',
        handler,
        'arn:aws:lambda:us-east-1:123456789012:function:rotate',
      );
      expect(outcome).toEqual({
        versionId,
        completed: true,
        steps: ['createSecret', 'setSecret', 'testSecret', 'finishSecret'],
      });
      // A few more requests after the promotion, then the client picks the new identity up.
      const after = sent;
      while (sent < after + 8) await new Promise((resolve) => setTimeout(resolve, 5));
      stop = true;
      await Promise.all(load);
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(8);

      expect(secrets.stagesOf('rotate/live')).toEqual({
        [String(oldVersion)]: ['AWSPREVIOUS'],
        [versionId]: ['AWSCURRENT'],
      });
      await identity.refresh({ force: true, reason: 'test: after rotation' });
      const echo = await api.request({ method: 'GET', path: '/echo' });
      const newSerial = pca.issued.at(-1)?.serialHex;
      expect(newSerial).toBeDefined();
      expect(
        (echo.data as { mtls: Record<string, string> }).mtls['X-Amzn-Mtls-Clientcert-Serial-Number'],
      ).toBe(newSerial);
      expect(newSerial).not.toBe(pki.clients.valid.serialHex);
      // The new certificate keeps the common name of the one it replaces.
      expect(
        (echo.data as { mtls: Record<string, string> }).mtls['X-Amzn-Mtls-Clientcert-Subject'],
      ).toContain('CN=client valid');
    } finally {
      stop = true;
      await Promise.all(load);
      await api.close();
      identity.close();
    }
    // One structured line per step, in order, each naming the token; no key material anywhere.
    expect(lines().map((l) => [l.step, l.outcome, l.level])).toEqual([
      ['createSecret', 'created', 'INFO'],
      ['setSecret', 'nothing-to-set', 'INFO'],
      ['testSecret', 'tested', 'INFO'],
      ['finishSecret', 'promoted', 'INFO'],
    ]);
    expect(lines()[0]).toMatchObject({
      serial: pca.issued.at(-1)?.serialHex,
      certificateArn: pca.issued.at(-1)?.certificateArn,
    });
    expect(lines()[2]?.checks).toEqual(
      expect.arrayContaining([
        { id: 'tls.client-cert', status: 'pass' },
        { id: 'http.response', status: 'pass' },
      ]),
    );
    assertNoKeyMaterial(raw.join(''), await keysOf('rotate/live'));
  });

  test('a new certificate the gateway refuses: the rotation stops at testSecret and AWSCURRENT stays where it was', async () => {
    const { handler, lines, raw } = rotator(foreignPca);
    const before = versionWith('rotate/refused', 'AWSCURRENT');
    const { versionId, outcome } = await rotate(
      'rotate/refused',
      handler,
      'arn:aws:lambda:us-east-1:123456789012:function:rotate-foreign',
    );
    expect(outcome.completed).toBe(false);
    expect(outcome.failedStep).toBe('testSecret');
    expect(outcome.steps).toEqual(['createSecret', 'setSecret']);
    expect(outcome.error).toContain('did not pass tls.client-cert and http.response');
    expect(versionWith('rotate/refused', 'AWSCURRENT')).toBe(before);
    expect(versionWith('rotate/refused', 'AWSPENDING')).toBe(versionId);
    const failed = lines().at(-1);
    expect(failed).toMatchObject({ step: 'testSecret', outcome: 'failed', level: 'ERROR' });
    const error = failed?.error as { code: string; checks: { id: string; status: string }[] };
    expect(error.code).toBe('ROTATION_TEST_FAILED');
    expect(error.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'tls.client-cert', status: 'fail' })]),
    );

    // The SDK still reads the old identity and the API still accepts it.
    const identity = fromSecretsManager({ secretId: 'rotate/refused', client: sm });
    const api = createClient({ baseUrl: gateway.url, identity, ca: pki.root.certPem });
    try {
      const echo = await api.request({ method: 'GET', path: '/echo' });
      expect(
        (echo.data as { mtls: Record<string, string> }).mtls['X-Amzn-Mtls-Clientcert-Serial-Number'],
      ).toBe(pki.clients.valid.serialHex);
    } finally {
      await api.close();
      identity.close();
    }
    // A second RotateSecret is refused while that rotation is unfinished, as the service does.
    await expect(sm.send(new RotateSecretCommand({ SecretId: 'rotate/refused' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    assertNoKeyMaterial(raw.join(''), await keysOf('rotate/refused'));
  });
});

describe('each step, invoked twice with the same token', () => {
  test('the second call changes nothing: no second certificate, no second version, no label moved', async () => {
    const { handler, lines } = rotator(pca);
    // A function that does nothing lets the test drive the steps by hand.
    const { versionId } = await rotate(
      'rotate/steps',
      async () => undefined,
      'arn:aws:lambda:us-east-1:123456789012:function:manual',
    );
    const event = (Step: string): RotationEvent => ({
      Step,
      SecretId: secrets.arnOf('rotate/steps'),
      ClientRequestToken: versionId,
    });
    const writes = () =>
      secrets.calls.filter((c) =>
        ['PutSecretValue', 'UpdateSecretVersionStage', 'CreateSecret'].includes(c.op),
      ).length;

    const first = await handler(event('createSecret'));
    expect(first.outcome).toBe('created');
    const issued = pca.issued.length;
    const stages = secrets.stagesOf('rotate/steps');
    const written = writes();
    const pendingValue = await sm.send(
      new GetSecretValueCommand({ SecretId: 'rotate/steps', VersionStage: 'AWSPENDING' }),
    );

    expect((await handler(event('createSecret'))).outcome).toBe('already-created');
    expect((await handler(event('setSecret'))).outcome).toBe('nothing-to-set');
    expect((await handler(event('setSecret'))).outcome).toBe('nothing-to-set');
    expect((await handler(event('testSecret'))).outcome).toBe('tested');
    expect((await handler(event('testSecret'))).outcome).toBe('tested');
    expect(pca.issued.length).toBe(issued);
    expect(writes()).toBe(written);
    expect(secrets.stagesOf('rotate/steps')).toEqual(stages);
    const again = await sm.send(
      new GetSecretValueCommand({ SecretId: 'rotate/steps', VersionStage: 'AWSPENDING' }),
    );
    expect(again.SecretString).toBe(pendingValue.SecretString);

    expect((await handler(event('finishSecret'))).outcome).toBe('promoted');
    const promoted = secrets.stagesOf('rotate/steps');
    expect(promoted[versionId]).toContain('AWSCURRENT');
    const afterFinish = writes();
    for (const step of ['finishSecret', 'createSecret', 'testSecret']) {
      expect((await handler(event(step))).outcome).toBe('already-current');
    }
    expect(writes()).toBe(afterFinish);
    expect(pca.issued.length).toBe(issued);
    expect(secrets.stagesOf('rotate/steps')).toEqual(promoted);
    expect(lines()).toHaveLength(10);
  });

  test('a token the secret does not know, or an unknown step: ROTATION_STATE_INVALID / CONFIG_INVALID, nothing written', async () => {
    const { handler, lines } = rotator(pca);
    const writes = secrets.calls.length;
    await expect(
      handler({
        Step: 'createSecret',
        SecretId: 'rotate/steps',
        ClientRequestToken: '00000000-0000-4000-8000-000000000000',
      }),
    ).rejects.toMatchObject({ code: 'ROTATION_STATE_INVALID' });
    await expect(
      handler({ Step: 'dropSecret', SecretId: 'rotate/steps', ClientRequestToken: 'x' }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(secrets.calls.slice(writes).map((c) => c.op)).toEqual(['DescribeSecret']);
    expect(lines().map((l) => (l.error as { code: string }).code)).toEqual([
      'ROTATION_STATE_INVALID',
      'CONFIG_INVALID',
    ]);
  });
});

describe('a Private CA that is slow or throttles, during createSecret', () => {
  test('throttled: the SDK retries and the step succeeds; slower than the issue deadline: PCA_TIMEOUT within it, AWSPENDING left empty', async () => {
    const slow = await startAcmPca({ ca: pki.intermediate, inProgressPolls: 0 });
    try {
      const { handler } = rotator(slow, { [ROTATION_ENV.issueTimeoutMs]: '400' });
      const { versionId } = await rotate(
        'rotate/slow',
        async () => undefined,
        'arn:aws:lambda:us-east-1:123456789012:function:manual-slow',
      );
      const event: RotationEvent = {
        Step: 'createSecret',
        SecretId: 'rotate/slow',
        ClientRequestToken: versionId,
      };
      const current = versionWith('rotate/slow', 'AWSCURRENT');

      slow.update({ delayMs: 5000 });
      const start = performance.now();
      const error = await handler(event).catch((e: unknown) => e);
      const elapsed = performance.now() - start;
      expect(isProbeError(error) && error.code).toBe('PCA_TIMEOUT');
      expect(elapsed).toBeLessThan(400 + 300);
      expect(versionWith('rotate/slow', 'AWSCURRENT')).toBe(current);
      await expect(
        sm.send(new GetSecretValueCommand({ SecretId: 'rotate/slow', VersionStage: 'AWSPENDING' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

      slow.update({ delayMs: 0 });
      slow.throttleNext(1);
      const { handler: patient } = rotator(slow, { [ROTATION_ENV.issueTimeoutMs]: '20000' });
      expect((await patient(event)).outcome).toBe('created');
      expect(slow.calls.some((c) => c.error === 'ThrottlingException')).toBe(true);
      expect(slow.issued).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });
});
