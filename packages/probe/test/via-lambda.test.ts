import {
  createTestPki,
  type Gateway,
  identitySecret,
  type LocalLambda,
  type LocalSecretsManager,
  startGateway,
  startLambda,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CANARY_ENV, createCanaryHandler } from '../src/canary/handler.ts';
import type { ProbeReport } from '../src/report.ts';
import { ensureBuilt, localAwsEnv, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { startSilentServer } from './helpers/servers.ts';

let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let secrets: LocalSecretsManager;
let lambda: LocalLambda;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
const events: unknown[] = [];

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  // The canary runs in this process, where the AWS SDK reads its credentials from the environment.
  Object.assign(process.env, localAwsEnv);
  files = writePki(pki);
  [gateway, secrets, silent] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    }),
    startSecretsManager({
      secrets: [
        { name: 'canary/valid', string: identitySecret(pki.clients.valid) },
        { name: 'canary/revoked', string: identitySecret(pki.clients.revoked) },
      ],
    }),
    startSilentServer(),
  ]);
  // The deployed canary, as the CDK stack configures it: its own secret endpoint and environment.
  const canary = createCanaryHandler({
    env: { ...localAwsEnv, [CANARY_ENV.secretsEndpoint]: secrets.endpoint },
    write: () => {},
  });
  lambda = await startLambda({
    functions: {
      'mtls-canary': {
        handler: (event, context) => {
          events.push(event);
          return canary(event as never, context);
        },
        timeoutMs: 30_000,
      },
      // Lambda's 2.5 s timeout: the canary must answer before it, whatever --timeout says.
      'mtls-canary-short': { handler: (event, context) => canary(event as never, context), timeoutMs: 2500 },
      'not-a-canary': { handler: () => ({ hello: 'world' }) },
    },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.close(), secrets?.close(), lambda?.close(), silent?.close()]);
  files?.remove();
});

const url = () => `https://127.0.0.1:${gateway.port}/widgets`;
const via = (name = 'mtls-canary') => ['--via-lambda', name, '--lambda-endpoint', lambda.endpoint];
const json = (stdout: string) => JSON.parse(stdout) as ProbeReport;

describe.concurrent('mtls-probe check --via-lambda, through the local Lambda Invoke endpoint', {
  timeout: 90_000,
}, () => {
  test('a healthy path: the canary runs the check, the report and exit 0 come back here', async () => {
    const run = await runCli([
      'check',
      url(),
      '--secret-id',
      'canary/valid',
      '--ca',
      files.ca,
      ...via(),
      '--format',
      'json',
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const report = json(run.stdout);
    expect(report.verdict).toBe('pass');
    expect(report.checks.find((c) => c.id === 'http.response')?.status).toBe('pass');
    // The --ca file travelled as its PEM text (the function cannot read this machine's files).
    const event = events.find((e) => (e as { secretId?: string }).secretId === 'canary/valid') as Record<
      string,
      unknown
    >;
    expect(event.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(event.url).toBe(url());
    // Options left at their defaults stay the canary's own (its environment decides them).
    expect(event).not.toHaveProperty('expectStatus');
    expect(event).not.toHaveProperty('timeoutMs');
  });

  test('a refused certificate: the same verdict, code and exit status 1 as a local run, in text', async () => {
    const remote = await runCli([
      'check',
      url(),
      '--secret-id',
      'canary/revoked',
      '--ca',
      files.ca,
      ...via(),
    ]);
    expect(remote.status).toBe(1);
    expect(remote.stdout).toMatch(/FAIL {2}tls\.client-cert .*MTLS_REJECTED/);
    const revoked = files.identity('revoked', pki.clients.revoked);
    const local = await runCli([
      'check',
      url(),
      '--cert',
      revoked.cert,
      '--key',
      revoked.key,
      '--ca',
      files.ca,
      '--format',
      'json',
    ]);
    expect(local.status).toBe(1);
    expect(json(local.stdout).checks.find((c) => c.id === 'tls.client-cert')?.code).toBe('MTLS_REJECTED');
    assertNoKeyMaterial(remote.stdout + remote.stderr, [
      pki.clients.revoked.keyPem,
      pki.clients.valid.keyPem,
    ]);
  });

  test('-v through the canary: the timeline and the CA names come from inside', async () => {
    const run = await runCli([
      'check',
      url(),
      '--secret-id',
      'canary/valid',
      '--ca',
      files.ca,
      ...via(),
      '-v',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('timeline (-v):');
    expect(run.stdout).toMatch(/chain 0 CN=localhost/);
    expect(run.stdout).toContain('acceptable CA names: none listed');
  });

  test('Lambda timeout: the canary answers with what finished before the function would be killed', async () => {
    const run = await runCli([
      'check',
      `https://127.0.0.1:${silent.port}/`,
      '--timeout',
      '20000',
      ...via('mtls-canary-short'),
      '--format',
      'json',
    ]);
    expect(run.status, run.stderr).toBe(1);
    const report = json(run.stdout);
    expect(report.deadline?.reachedIn).toBe('tls.server');
    expect(
      lambda.invocations.filter((i) => i.functionName === 'mtls-canary-short').map((i) => i.outcome),
    ).toEqual(['result']);
  });

  test('an unknown function, or one that is not the canary, exits 2 with CANARY_INVOKE_FAILED (and the JSON document)', async () => {
    const [missing, other] = await Promise.all([
      runCli(['check', url(), ...via('no-such-function'), '--format', 'json']),
      runCli(['check', url(), ...via('not-a-canary')]),
    ]);
    expect(missing.status).toBe(2);
    expect(json(missing.stdout).error?.code).toBe('CANARY_INVOKE_FAILED');
    expect(missing.stderr).toContain('ResourceNotFoundException');
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('not a probe result');
  });

  test('local files and key material are refused before any Invoke, naming the options', async () => {
    const valid = files.identity('valid', pki.clients.valid);
    const run = await runCli(['check', url(), '--cert', valid.cert, '--key', valid.key, ...via()]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--via-lambda: --cert, --key cannot be sent to the canary');
    const crl = await runCli(['check', url(), '--secret-id', 'canary/valid', '--crl', files.crl, ...via()]);
    expect(crl.status).toBe(2);
    expect(crl.stderr).toContain('only s3:// and https:// CRLs');
    // Neither reached the function (other tests invoke it meanwhile, so look for these events).
    expect(events.some((e) => (e as { crl?: unknown }).crl !== undefined)).toBe(false);
  });
});
