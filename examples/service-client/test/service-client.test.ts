import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  identitySecret,
  type LocalProducer,
  localAwsClientConfig,
  startGateway,
  startLocalProducer,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWidgetService, type WidgetService, type WidgetServiceOptions } from '../src/widget-service.ts';

interface LogLine {
  readonly event: string;
  readonly fields: Record<string, unknown>;
}

let producer: LocalProducer;
let secretsManager: SecretsManagerClient;
const opened: WidgetService[] = [];

beforeAll(async () => {
  producer = await startLocalProducer();
  secretsManager = new SecretsManagerClient(localAwsClientConfig(producer.secrets));
});

afterAll(async () => {
  await Promise.all(opened.map((service) => service.close()));
  secretsManager?.destroy();
  await producer?.close();
});

/** A service against the local producer, its log lines collected. */
async function service(overrides: Partial<WidgetServiceOptions> = {}) {
  const logs: LogLine[] = [];
  const started = await startWidgetService({
    apiUrl: producer.gateway.url,
    secretId: producer.secretId,
    apiCa: producer.pki.root.certPem,
    secretsManager,
    log: (event, fields) => logs.push({ event, fields }),
    ...overrides,
  });
  opened.push(started);
  return { service: started, logs };
}

async function call(base: WidgetService, path: string, init?: RequestInit) {
  const response = await fetch(base.url + path, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('service-client against the emulator', () => {
  test('answers with typed data from the producer over mTLS, reusing one connection', async () => {
    const { service: api } = await service();
    const handshakesBefore = producer.gateway.handshakes();

    expect(await call(api, '/widgets/1')).toEqual({ status: 200, body: { id: '1', priceCents: 499 } });
    const list = await call(api, '/widgets');
    expect(list.status).toBe(200);
    expect(list.body['widgets']).toEqual(
      expect.arrayContaining([
        { id: '2', priceCents: 1250 },
        { id: '3', priceCents: 99 },
      ]),
    );
    // Sequential calls share the keep-alive pool: one full handshake for both.
    expect(producer.gateway.handshakes() - handshakesBefore).toBe(1);
    expect(producer.gateway.connectionLog.at(-1)?.tlsVerifyStatus).toBe('Success');
  });

  test('creates a widget with a validated body, and refuses a bad one without calling the producer', async () => {
    const { service: api } = await service();
    const created = await call(api, '/widgets', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'create-7.25' },
      body: JSON.stringify({ price: '7.25' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ priceCents: 725 });
    expect(created.body['id']).toMatch(/^\d+$/);

    const handshakes = producer.gateway.handshakes();
    const bad = await call(api, '/widgets', { method: 'POST', body: JSON.stringify({ price: 'cheap' }) });
    expect(bad).toEqual({ status: 400, body: { error: 'invalid_body', issues: ['a price like "4.99"'] } });
    expect(producer.gateway.handshakes()).toBe(handshakes);
  });

  test("maps the producer's 404 to its own 404 and a missing route (wrong stage in apiUrl) to 502", async () => {
    const { service: api, logs } = await service();
    const missing = await call(api, '/widgets/999');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'widget_not_found', code: 'HTTP_UNEXPECTED_STATUS' });
    // The producer's request id travels back for their on-call.
    expect(missing.body['upstreamRequestId']).toMatch(/^[0-9a-f-]{36}$/);

    const { service: misconfigured } = await service({ apiUrl: `${producer.gateway.url}/v2` });
    const noRoute = await call(misconfigured, '/widgets/1');
    expect(noRoute.status).toBe(502);
    expect(noRoute.body).toMatchObject({ error: 'upstream_route_missing', code: 'HTTP_MISSING_AUTH_TOKEN' });
    expect(logs.find((l) => l.event === 'upstream-error')?.fields).toMatchObject({
      status: 404,
      code: 'HTTP_UNEXPECTED_STATUS',
    });
  });

  test('picks up a rotated secret on its next scheduled refresh and uses the new certificate', async () => {
    const { service: api, logs } = await service({ refreshEvery: '200ms' });
    const first = await call(api, '/healthz');
    const firstSerial = (first.body['identity'] as { serial: string }).serial;
    expect(firstSerial).toBe(producer.pki.clients.valid.serialHex);

    const next = await producer.pki.intermediate.issueClient({ commonName: 'widgets-client rotated' });
    producer.secrets.rotate(producer.secretId, { string: identitySecret(next) });
    try {
      await until(
        () => logs.some((l) => l.event === 'identity-refresh' && l.fields['serial'] === next.serialHex),
        'the rotated certificate to be loaded',
      );
      expect(await call(api, '/widgets/2')).toEqual({ status: 200, body: { id: '2', priceCents: 1250 } });
      // The producer's ALB saw the new certificate on a new connection, and accepted it.
      const last = producer.gateway.connectionLog.at(-1);
      expect(last?.leafClientCertSerialNumber).toBe(next.serialHex);
      expect(last?.tlsVerifyStatus).toBe('Success');
      expect(logs.find((l) => l.fields['serial'] === next.serialHex)?.fields).toMatchObject({
        reason: 'scheduled',
        previousSerial: firstSerial,
      });
      expect((await call(api, '/healthz')).body['identity']).toMatchObject({ serial: next.serialHex });
    } finally {
      // Later tests expect the original certificate in the secret.
      producer.secrets.rotate(producer.secretId, { string: identitySecret(producer.pki.clients.valid) });
    }
  });

  test('keeps serving with the last good certificate when a refresh is denied, and says so', async () => {
    const { service: api, logs } = await service({ refreshEvery: '100ms' });
    expect((await call(api, '/widgets/3')).status).toBe(200);
    producer.secrets.denyAccess(producer.secretId, true);
    try {
      await until(() => logs.some((l) => l.event === 'identity-refresh-failed'), 'a failed refresh');
      expect(await call(api, '/widgets/3')).toEqual({ status: 200, body: { id: '3', priceCents: 99 } });
    } finally {
      producer.secrets.denyAccess(producer.secretId, false);
    }
    expect(logs.find((l) => l.event === 'identity-refresh-failed')?.fields).toMatchObject({
      code: 'SECRET_ACCESS_DENIED',
      stillServing: producer.pki.clients.valid.serialHex,
    });
  });

  test('a wrong secret id answers 503 SECRET_NOT_FOUND, naming the secret and no key material', async () => {
    const { service: api, logs } = await service({ secretId: 'consumer/widgets-clinet' });
    const answer = await call(api, '/widgets/1');
    expect(answer).toEqual({
      status: 503,
      body: { error: 'upstream_identity_unavailable', code: 'SECRET_NOT_FOUND' },
    });
    const logged = logs.find((l) => l.event === 'upstream-error');
    expect(logged?.fields['message']).toContain('consumer/widgets-clinet');
    const everything = JSON.stringify({ answer, logs });
    const keyBody = producer.pki.clients.valid.keyPem.split('\n')[1] ?? 'unreachable';
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(keyBody.slice(0, 24));
  });

  test('close() lets the call in flight finish, then refuses new ones', async () => {
    // A producer whose API is slow, so the call is certainly in flight when close() starts.
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const slowApi = createServer((_request, response) => {
      arrived();
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: '9', value: '1.00' }));
      }, 300);
    });
    await new Promise<void>((resolve) => slowApi.listen(0, '127.0.0.1', resolve));
    const slowGateway = await startGateway({
      mode: 'verify',
      server: producer.pki.server,
      trustStore: { caPem: producer.pki.trustStorePem },
      upstream: `http://127.0.0.1:${(slowApi.address() as AddressInfo).port}`,
    });
    try {
      const logs: LogLine[] = [];
      const api = await startWidgetService({
        apiUrl: slowGateway.url,
        secretId: producer.secretId,
        apiCa: producer.pki.root.certPem,
        secretsManager,
        log: (event, fields) => logs.push({ event, fields }),
      });
      const pending = call(api, '/widgets/9');
      await inFlight;
      const closed = api.close();
      expect(await pending).toEqual({ status: 200, body: { id: '9', priceCents: 100 } });
      await closed;
      expect(logs.at(-1)?.event).toBe('service-stopped');
      await expect(fetch(`${api.url}/widgets/9`)).rejects.toThrow();
    } finally {
      await slowGateway.close();
      slowApi.closeAllConnections();
      await new Promise((resolve) => slowApi.close(resolve));
    }
  });
});
