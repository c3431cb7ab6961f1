import {
  createTestPki,
  type Gateway,
  type LocalSecretsManager,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CANARY_ENVIRONMENT } from '../../consumer-infra/src/canary-environment.ts';
import { CANARY_METRICS } from '../../consumer-infra/src/canary-metrics.ts';
import { CANARY_ENV, createCanaryHandler } from '../src/canary/handler.ts';
import { PROBE_METRICS } from '../src/index.ts';
import { assertNoKeyMaterial } from './helpers/pki-files.ts';

let pki: TestPki;
let gateway: Gateway;
let secrets: LocalSecretsManager;

const identityJson = (issued: TestPki['clients']['valid']) =>
  JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });

beforeAll(async () => {
  pki = await createTestPki();
  [gateway, secrets] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    }),
    startSecretsManager({
      secrets: [
        { name: 'canary/valid', string: identityJson(pki.clients.valid) },
        { name: 'canary/revoked', string: identityJson(pki.clients.revoked) },
      ],
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([gateway?.close(), secrets?.close()]);
});

function baseEnv(secretId: string): NodeJS.ProcessEnv {
  return {
    [CANARY_ENV.url]: `https://127.0.0.1:${gateway.port}/widgets`,
    [CANARY_ENV.secretId]: secretId,
    [CANARY_ENV.ca]: pki.root.certPem,
    [CANARY_ENV.secretsEndpoint]: secrets.endpoint,
    [CANARY_ENV.availabilityZone]: 'use1-az1',
    [CANARY_ENV.timeoutMs]: '2000',
    POWERTOOLS_SERVICE_NAME: 'consumer-canary-az1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
  };
}

async function invoke(env: NodeJS.ProcessEnv, event = {}) {
  const lines: string[] = [];
  const saved = { ...process.env };
  // The AWS SDK reads credentials and region from process.env; the handler reads its own env.
  Object.assign(process.env, env);
  try {
    const handler = createCanaryHandler({ env, write: (text) => lines.push(...text.trim().split('\n')) });
    const result = await handler(event);
    return { result, documents: lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
  } finally {
    for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
  }
}

type Emf = {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

describe('canary handler', () => {
  test('the metric and environment names match the CDK canary (consumer-infra)', () => {
    expect(PROBE_METRICS.namespace).toBe(CANARY_METRICS.namespace);
    expect(PROBE_METRICS.metrics).toEqual(CANARY_METRICS.metrics);
    expect(PROBE_METRICS.dimensions).toEqual(CANARY_METRICS.dimensions);
    for (const key of [
      'url',
      'secretId',
      'crl',
      'expectStatus',
      'availabilityZone',
      'connectTo',
      'resolver',
    ] as const) {
      expect(CANARY_ENV[key]).toBe(CANARY_ENVIRONMENT[key]);
    }
  });

  test('a healthy path: EMF with Success 1, both expiry gauges, latency; one log line; the JSON result', async () => {
    const { result, documents, lines } = await invoke(baseEnv('canary/valid'));
    expect(result.verdict).toBe('pass');
    expect(result.schemaVersion).toBe(1);
    const [run, ...perCheck] = documents.slice(0, -1) as (Emf & Record<string, unknown>)[];
    const log = documents.at(-1) as Record<string, unknown>;
    const metrics = run?._aws.CloudWatchMetrics[0];
    expect(metrics?.Namespace).toBe(CANARY_METRICS.namespace);
    expect(metrics?.Dimensions).toEqual([[CANARY_METRICS.dimensions.canary]]);
    expect(run?.service).toBe('consumer-canary-az1');
    expect(run?.availabilityZone).toBe('use1-az1');
    expect(metrics?.Metrics.map((m) => m.Name)).toEqual(
      expect.arrayContaining(Object.values(CANARY_METRICS.metrics)),
    );
    expect(run?.[CANARY_METRICS.metrics.success]).toBe(1);
    expect(run?.[CANARY_METRICS.metrics.checkFailed]).toBe(0);
    expect(run?.[CANARY_METRICS.metrics.clientCertDaysToExpiry]).toBeGreaterThan(300);
    expect(run?.[CANARY_METRICS.metrics.serverCertDaysToExpiry]).toBeGreaterThan(300);
    expect(run?.[CANARY_METRICS.metrics.latencyTotal]).toBeGreaterThan(0);
    expect(perCheck.length).toBeGreaterThan(5);
    for (const doc of perCheck) {
      expect(doc._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
        ['service', CANARY_METRICS.dimensions.checkId],
      ]);
      expect(doc.CheckFailed).toBe(0);
    }
    expect(log).toMatchObject({ level: 'INFO', verdict: 'pass', availabilityZone: 'use1-az1', failed: [] });
    assertNoKeyMaterial(lines.join('\n'), [pki.clients.valid.keyPem]);
  });

  test('a refused certificate: Success 0, CheckFailed per failing check, an ERROR log line naming the code', async () => {
    const { result, documents } = await invoke(baseEnv('canary/revoked'), { crl: [] });
    expect(result.verdict).toBe('fail');
    const run = documents[0] as Record<string, unknown>;
    expect(run.Success).toBe(0);
    expect(run.CheckFailed).toBeGreaterThanOrEqual(1);
    const failedDoc = documents.find((d) => d.CheckId === 'tls.client-cert');
    expect(failedDoc?.CheckFailed).toBe(1);
    expect(documents.at(-1)).toMatchObject({
      level: 'ERROR',
      failed: expect.arrayContaining([
        expect.objectContaining({ id: 'tls.client-cert', code: 'MTLS_REJECTED' }),
      ]),
    });
  });

  test('an unreadable secret: the result says why, the metrics count a failure, nothing throws', async () => {
    const { result, documents } = await invoke(baseEnv('canary/missing'));
    expect(result.verdict).toBe('fail');
    expect(result.error?.code).toBe('SECRET_NOT_FOUND');
    expect(result.checks.every((c) => c.status === 'skip')).toBe(true);
    expect(documents[0]).toMatchObject({ Success: 0, CheckFailed: 1 });
    expect(documents.at(-1)).toMatchObject({ level: 'ERROR', error: { code: 'SECRET_NOT_FOUND' } });
  });

  test('the event overrides the environment; a missing URL is reported, not thrown', async () => {
    const env = baseEnv('canary/valid');
    const { result } = await invoke(env, {
      expectStatus: 404,
      url: `https://127.0.0.1:${gateway.port}/widgets/999`,
    });
    expect(result.verdict).toBe('pass');
    const { [CANARY_ENV.url]: _url, ...withoutUrl } = env;
    const missing = await invoke(withoutUrl);
    expect(missing.result.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(missing.result.error?.message).toContain(CANARY_ENV.url);
  });
});
