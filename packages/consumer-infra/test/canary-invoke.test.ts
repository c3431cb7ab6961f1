import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createTestPki,
  type Gateway,
  type LocalDnsServer,
  type LocalS3,
  type LocalSecretsManager,
  startDnsServer,
  startGateway,
  startS3,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bundleCanary,
  CANARY_ENVIRONMENT,
  CANARY_METRICS,
  type CanaryBundle,
  ConsumerStack,
} from '../src/index.ts';
import { availabilityZones, consumerAccount, endpointServiceName, newApp, region } from './fixtures.ts';

type CanaryHandler = (event: Record<string, unknown>) => Promise<{
  verdict: 'pass' | 'warn' | 'fail';
  checks: { id: string; status: string; code?: string }[];
  error?: { code: string };
}>;

let bundle: CanaryBundle;
let bundleMs: number;
let handler: CanaryHandler;
let pki: TestPki;
let gateway: Gateway;
let secrets: LocalSecretsManager;
let s3: LocalS3;
let dns: LocalDnsServer;
let templateEnvironment: Record<string, unknown>;

const identityJson = (issued: TestPki['clients']['valid']) =>
  JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });

beforeAll(async () => {
  // The exact artefact the stack deploys: the probe's handler bundled by bundleCanary, loaded as Lambda loads it.
  const started = Date.now();
  bundle = bundleCanary();
  bundleMs = Date.now() - started;
  handler = ((await import(pathToFileURL(bundle.file).href)) as { handler: CanaryHandler }).handler;

  pki = await createTestPki();
  [gateway, secrets, s3, dns] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    }),
    startSecretsManager({
      secrets: [
        { name: 'mtls-link/api-client', string: identityJson(pki.clients.valid) },
        { name: 'mtls-link/revoked-client', string: identityJson(pki.clients.revoked) },
      ],
    }),
    startS3({ objects: { 'producer-crls/intermediate.crl': pki.crlPem } }),
    // The API's name as the private zone answers it: one endpoint interface per AZ. Only 127.0.0.1
    // has the gateway behind it; the other two stand for AZs whose interface is dead.
    startDnsServer({
      records: {
        'api.example.com': ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((data) => ({
          type: 'A' as const,
          data,
        })),
      },
    }),
  ]);

  // The canary's environment as the ConsumerStack synthesizes it.
  const stack = new ConsumerStack(newApp(), 'Consumer', {
    env: { account: consumerAccount, region },
    vpc: { kind: 'create', cidr: '10.20.0.0/16', availabilityZones },
    endpointServiceName,
    apiDomainName: 'api.example.com',
    canary: {
      code: lambda.Code.fromAsset(bundle.dir),
      crl: { bucketName: 'producer-crls', key: 'intermediate.crl' },
    },
  });
  // The first AZ's canary (the VPC's custom-resource functions have no canary URL).
  const fn = Object.values(Template.fromStack(stack as Stack).findResources('AWS::Lambda::Function')).find(
    (f) =>
      f.Properties.Environment?.Variables?.[CANARY_ENVIRONMENT.availabilityZone] === availabilityZones[0],
  );
  templateEnvironment = fn?.Properties.Environment.Variables as Record<string, unknown>;
}, 60_000);

afterAll(async () => {
  await Promise.all([gateway?.close(), secrets?.close(), s3?.close(), dns?.close()]);
  if (bundle !== undefined) rmSync(bundle.dir, { recursive: true, force: true });
});

/**
 * Invokes the bundled handler with the synthesized environment; only what points at AWS or at the
 * API's name is swapped for the local stand-ins (secret ARN token, endpoints, credentials, URL host).
 */
async function invoke(overrides: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(templateEnvironment)) {
    if (typeof value === 'string') env[key] = value;
  }
  Object.assign(env, {
    [CANARY_ENVIRONMENT.secretId]: 'mtls-link/api-client',
    // api.example.com does not resolve here (no private zone): the gateway's certificate also
    // names localhost, so the same request goes there.
    [CANARY_ENVIRONMENT.url]: `https://localhost:${gateway.port}/widgets`,
    MTLS_PROBE_CA: pki.root.certPem,
    MTLS_PROBE_TIMEOUT_MS: '3000',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    ...overrides,
  });
  const saved = { ...process.env };
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  Object.assign(process.env, env);
  // The handler writes EMF and its log line to stdout, as in Lambda.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).trim().split('\n'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await handler({});
    return { result, documents: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
  } finally {
    process.stdout.write = write;
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

describe('the bundled canary, invoked locally against the testkit gateway', () => {
  test('the bundle is a real bundle and stays under 8 MiB (its build time is printed, not asserted)', () => {
    console.log(
      `canary bundle: ${bundle.bytes} bytes (${(bundle.bytes / 1024 / 1024).toFixed(2)} MiB), ${bundleMs} ms`,
    );
    expect(bundle.bytes).toBeGreaterThan(10_000);
    expect(bundle.bytes).toBeLessThan(8 * 1024 * 1024);
  });

  test('the synthesized environment carries the inputs the handler reads', () => {
    expect(templateEnvironment).toMatchObject({
      [CANARY_ENVIRONMENT.url]: 'https://api.example.com/widgets',
      [CANARY_ENVIRONMENT.crl]: 's3://producer-crls/intermediate.crl',
      [CANARY_ENVIRONMENT.expectStatus]: '200',
      [CANARY_ENVIRONMENT.metricsNamespace]: CANARY_METRICS.namespace,
    });
  });

  test("per AZ, the canary dials only its AZ's zonal endpoint name, SNI and Host staying the API's", async () => {
    // Synthesized: a CloudFormation join naming this canary's AZ (resolved at deploy time).
    const dial = JSON.stringify(templateEnvironment[CANARY_ENVIRONMENT.connectTo]);
    expect(dial).toContain(`-${availabilityZones[0]}.`);
    expect(dial).toContain(':443');
    const apiName = {
      [CANARY_ENVIRONMENT.url]: `https://api.example.com:${gateway.port}/widgets`,
      [CANARY_ENVIRONMENT.resolver]: dns.address,
    };
    // Dialing the API's name reaches every AZ's interface: the dead ones fail this canary too.
    const spread = await invoke({ ...apiName, [CANARY_ENVIRONMENT.connectTo]: '' });
    const spreadTcp = spread.result.checks.find((c) => c.id === 'tcp.connect') as unknown as {
      status: string;
      details: { addresses: { address: string; ok: boolean }[] };
    };
    expect(spreadTcp.status).toBe('fail');
    expect(spreadTcp.details.addresses.map((a) => [a.address, a.ok])).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.2', false],
      ['127.0.0.3', false],
    ]);
    // Dialing a name that resolves to one interface only (the zonal name; here `localhost`): the
    // healthy AZ's canary passes, with SNI and Host still the API's name.
    const zonal = await invoke({ ...apiName, [CANARY_ENVIRONMENT.connectTo]: `localhost:${gateway.port}` });
    expect(zonal.result.error).toBeUndefined();
    expect(zonal.result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const zonalTcp = zonal.result.checks.find((c) => c.id === 'tcp.connect') as unknown as {
      details: { addresses: { address: string }[] };
    };
    expect(zonalTcp.details.addresses.map((a) => a.address)).toEqual(['127.0.0.1']);
    expect((zonal.result as unknown as { target: { servername: string } }).target.servername).toBe(
      'api.example.com',
    );
  });

  test('a healthy path passes and writes the metrics the alarms read', async () => {
    const { result, documents } = await invoke();
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(result.verdict).not.toBe('fail');
    expect(result.checks.find((c) => c.id === 'revocation.crl')?.status).toBe('pass');
    const [run] = documents as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
      [key: string]: unknown;
    }[];
    expect(run?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: CANARY_METRICS.namespace,
      Dimensions: [[CANARY_METRICS.dimensions.canary]],
    });
    // The alarm dimension value is the canary name the stack set.
    expect(run?.[CANARY_METRICS.dimensions.canary]).toBe(templateEnvironment[CANARY_ENVIRONMENT.serviceName]);
    expect(run?.[CANARY_METRICS.metrics.success]).toBe(1);
    expect(run?.[CANARY_METRICS.metrics.checkFailed]).toBe(0);
    expect(run?.[CANARY_METRICS.metrics.clientCertDaysToExpiry]).toBeGreaterThan(30);
    expect(run?.[CANARY_METRICS.metrics.serverCertDaysToExpiry]).toBeGreaterThan(30);
    expect(run?.[CANARY_METRICS.metrics.latencyTotal]).toBeGreaterThan(0);
  });

  test('a revoked client certificate fails the run with the rejection named', async () => {
    const { result, documents } = await invoke({ [CANARY_ENVIRONMENT.secretId]: 'mtls-link/revoked-client' });
    expect(result.verdict).toBe('fail');
    expect(result.checks.find((c) => c.id === 'tls.client-cert')).toMatchObject({
      status: 'fail',
      code: 'MTLS_REJECTED',
    });
    expect(result.checks.find((c) => c.id === 'revocation.crl')).toMatchObject({
      code: 'CLIENT_CERT_REVOKED',
    });
    expect(documents[0]).toMatchObject({ [CANARY_METRICS.metrics.success]: 0 });
  });
});
