import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LocalLambdaSecretsExtension,
  type LocalProducer,
  localAwsCredentials,
  localAwsRegion,
  startLambdaSecretsExtension,
  startLocalProducer,
} from '@mtls-link/testkit';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HANDLER_ENV, type HandlerConfig, readHandlerConfig } from '../src/handler-config.ts';
import { localContext, proxyEvent } from '../src/local-invoke.ts';
import { createWidgetsFunction, type WidgetsFunction } from '../src/widgets-function.ts';

const sessionToken = 'local-session-token';
let producer: LocalProducer;
let extension: LocalLambdaSecretsExtension;
let dir: string;
let caFile: string;
const savedEnv = { ...process.env };
const opened: WidgetsFunction[] = [];

beforeAll(async () => {
  producer = await startLocalProducer();
  extension = await startLambdaSecretsExtension({ secretsManager: producer.secrets, sessionToken });
  dir = await mkdtemp(join(tmpdir(), 'lambda-consumer-'));
  caFile = join(dir, 'producer-ca.pem');
  await writeFile(caFile, producer.pki.root.certPem);
  // What the Lambda runtime (and the function's configuration) put in the environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: localAwsCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localAwsCredentials.secretAccessKey,
    AWS_SESSION_TOKEN: sessionToken,
    AWS_REGION: localAwsRegion,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: producer.secrets.endpoint,
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(extension.port),
  });
});

afterAll(async () => {
  await Promise.all(opened.map((f) => f.close()));
  await producer?.close();
  await extension?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  process.env = savedEnv;
});

function widgetsFunction(overrides: Partial<HandlerConfig> = {}) {
  const logs: Record<string, unknown>[] = [];
  const fn = createWidgetsFunction(
    {
      apiUrl: producer.gateway.url,
      secretId: producer.secretId,
      apiCa: producer.pki.root.certPem,
      identitySource: 'secrets-manager',
      ...overrides,
    },
    { log: (entry) => logs.push(entry) },
  );
  opened.push(fn);
  return { fn, logs };
}

const secretReads = (secretId: string, source: 'api' | 'lambda-extension') =>
  producer.secrets.calls.filter(
    (c) => c.op === 'GetSecretValue' && c.secretId === secretId && c.source === source,
  ).length;

const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, unknown>;

/** The runtime fetches the next event between invocations; back to back, undici has not yet freed the connection. */
const betweenInvocations = () => sleep(5);

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('lambda-consumer against the emulator', () => {
  test('the entry module builds its client at init; two invocations share one handshake and one secret read', async () => {
    Object.assign(process.env, {
      [HANDLER_ENV.apiUrl]: producer.gateway.url,
      [HANDLER_ENV.secretId]: producer.secretId,
      [HANDLER_ENV.apiCa]: caFile,
    });
    const readsBefore = secretReads(producer.secretId, 'api');
    const handshakesBefore = producer.gateway.handshakes();

    const { handler } = await import('../src/handler.ts');
    // The identity is loaded during init, before any invocation.
    await until(() => secretReads(producer.secretId, 'api') === readsBefore + 1, 'the init-time secret read');

    const one = await handler(
      proxyEvent('GET', '/widgets/1', { pathParameters: { id: '1' } }),
      localContext(),
    );
    await betweenInvocations();
    const all = await handler(proxyEvent('GET', '/widgets'), localContext());

    expect(one.statusCode).toBe(200);
    expect(bodyOf(one)).toEqual({ id: '1', value: '4.99' });
    expect(all.statusCode).toBe(200);
    expect(bodyOf(all)['widgets']).toEqual(expect.arrayContaining([{ id: '2', value: '12.50' }]));
    expect(producer.gateway.handshakes() - handshakesBefore).toBe(1);
    expect(secretReads(producer.secretId, 'api') - readsBefore).toBe(1);
    expect(producer.gateway.connectionLog.at(-1)?.tlsVerifyStatus).toBe('Success');
  });

  test('with the Parameters and Secrets extension: one extension read, one handshake for two invocations', async () => {
    const readsBefore = secretReads(producer.secretId, 'lambda-extension');
    const handshakesBefore = producer.gateway.handshakes();
    const { fn } = widgetsFunction({ identitySource: 'lambda-extension' });
    const first = await fn.handler(
      proxyEvent('GET', '/widgets/3', { pathParameters: { id: '3' } }),
      localContext(),
    );
    await betweenInvocations();
    const second = await fn.handler(
      proxyEvent('GET', '/widgets/1', { pathParameters: { id: '1' } }),
      localContext(),
    );

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(bodyOf(first)).toEqual({ id: '3', value: '0.99' });
    expect(secretReads(producer.secretId, 'lambda-extension') - readsBefore).toBe(1);
    expect(producer.gateway.handshakes() - handshakesBefore).toBe(1);
    expect(fn.api.stats()).toMatchObject({ retries: 0, poolSwaps: 0 });
  });

  test("maps the producer's 404 to 404, creates with POST, refuses a bad body without calling out", async () => {
    const { fn, logs } = widgetsFunction();
    const context = localContext();
    const missing = await fn.handler(
      proxyEvent('GET', '/widgets/999', { pathParameters: { id: '999' } }),
      context,
    );
    expect(missing.statusCode).toBe(404);
    expect(bodyOf(missing)).toMatchObject({ error: 'widget_not_found', code: 'HTTP_UNEXPECTED_STATUS' });
    expect(bodyOf(missing)['upstreamRequestId']).toMatch(/^[0-9a-f-]{36}$/);
    expect(logs.find((l) => l['event'] === 'upstream-error')).toMatchObject({
      level: 'ERROR',
      awsRequestId: context.awsRequestId,
      statusCode: 404,
    });

    const created = await fn.handler(
      proxyEvent('POST', '/widgets', { body: { value: '2.00' } }),
      localContext(),
    );
    expect(created.statusCode).toBe(201);
    expect(bodyOf(created)).toMatchObject({ value: '2.00', id: expect.stringMatching(/^\d+$/) });

    const handshakes = producer.gateway.handshakes();
    const bad = await fn.handler(
      proxyEvent('POST', '/widgets', { body: ['not', 'a', 'widget'] }),
      localContext(),
    );
    expect(bad.statusCode).toBe(400);
    expect(producer.gateway.handshakes()).toBe(handshakes);
  });

  test('a missing route (wrong stage in the API URL) answers 502 upstream_route_missing', async () => {
    const { fn } = widgetsFunction({ apiUrl: `${producer.gateway.url}/v2` });
    const result = await fn.handler(
      proxyEvent('GET', '/widgets/1', { pathParameters: { id: '1' } }),
      localContext(),
    );
    expect(result.statusCode).toBe(502);
    expect(bodyOf(result)).toMatchObject({
      error: 'upstream_route_missing',
      code: 'HTTP_MISSING_AUTH_TOKEN',
    });
  });

  test('a wrong secret id answers 503 SECRET_NOT_FOUND on each invocation, reads the secret once, leaks no key', async () => {
    const secretId = 'consumer/widgets-clinet';
    const { fn, logs } = widgetsFunction({ secretId });
    const results = [];
    for (const id of ['1', '2']) {
      results.push(
        await fn.handler(proxyEvent('GET', `/widgets/${id}`, { pathParameters: { id } }), localContext()),
      );
      await betweenInvocations();
    }
    for (const result of results) {
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result)).toEqual({ error: 'upstream_identity_unavailable', code: 'SECRET_NOT_FOUND' });
    }
    // The failed load is remembered briefly, so a broken secret does not turn into a Secrets Manager storm.
    expect(secretReads(secretId, 'api')).toBe(1);
    const errors = logs.filter((l) => l['event'] === 'upstream-error');
    expect(errors).toHaveLength(2);
    expect(String(errors[0]?.['message'])).toContain(secretId);
    const everything = JSON.stringify({ results, logs });
    const keyLine = producer.pki.clients.valid.keyPem.split('\n')[1] ?? 'unreachable';
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(keyLine.slice(0, 24));
  });

  test('a misconfigured environment fails at init, naming the variable', () => {
    const base = { [HANDLER_ENV.apiUrl]: 'https://api.example.com', [HANDLER_ENV.secretId]: 's' };
    expect(() => readHandlerConfig({ [HANDLER_ENV.secretId]: 's' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('WIDGETS_API_URL'),
      }),
    );
    expect(() => readHandlerConfig({ ...base, [HANDLER_ENV.apiCa]: join(dir, 'absent.pem') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('WIDGETS_API_CA') }),
    );
    expect(() => readHandlerConfig({ ...base, [HANDLER_ENV.identitySource]: 'ssm' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('MTLS_IDENTITY_SOURCE'),
      }),
    );
    expect(readHandlerConfig({ ...base, [HANDLER_ENV.apiCa]: caFile })).toMatchObject({
      identitySource: 'secrets-manager',
      apiCa: producer.pki.root.certPem,
    });
  });
});
