import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestPki,
  findBinary,
  type Gateway,
  type GatewayOptions,
  type MtlsTerminator,
  type RefusalStyle,
  startGateway,
  startHaproxy,
  startNginx,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { ClientIdentity } from '../src/identity/types.ts';
import {
  type ClientOptions,
  createClient,
  fromFiles,
  isMtlsLinkError,
  type MtlsLinkError,
} from '../src/index.ts';
import { identityOf, type TlsVersion } from './fixtures/small-servers.ts';
import type { paths } from './fixtures/widgets-api.generated.ts';

let pki: TestPki;
const ids: Record<'valid' | 'revoked' | 'foreignCa' | 'expired', ClientIdentity> = {} as never;
const gateways: Gateway[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  ids.valid = identityOf(pki.clients.valid, 'valid');
  ids.revoked = identityOf(pki.clients.revoked, 'revoked');
  ids.foreignCa = identityOf(pki.clients.foreignCa, 'foreign');
  ids.expired = identityOf(pki.clients.expired, 'expired');
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

async function gateway(version: TlsVersion, extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const started = await startGateway({
    mode: 'verify',
    server: pki.server,
    trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    tls: { minVersion: version, maxVersion: version },
    ...extra,
  });
  gateways.push(started);
  return started;
}

async function failure(
  url: string,
  options: Partial<ClientOptions>,
  path = '/widgets',
): Promise<MtlsLinkError> {
  const client = createClient({
    baseUrl: url,
    identity: ids.valid,
    ca: pki.trustStorePem,
    retry: false,
    ...options,
  });
  try {
    await client.request({ method: 'GET', path });
  } catch (error) {
    if (!isMtlsLinkError(error)) throw new Error(`not an MtlsLinkError: ${String(error)}`, { cause: error });
    return error;
  } finally {
    await client.close();
  }
  throw new Error('the request succeeded');
}

const styles: RefusalStyle[] = ['alert', 'reset', 'close'];

describe.each<TlsVersion>(['TLSv1.2', 'TLSv1.3'])('against the gateway emulator over %s', (version) => {
  test('a valid certificate gets typed data, the request id and the mTLS headers the ALB adds', async () => {
    const gw = await gateway(version);
    const api = createClient<paths>({ baseUrl: gw.url, identity: ids.valid, ca: pki.trustStorePem });
    const list = await api.GET('/widgets');
    expect(list.status).toBe(200);
    expect(list.data[0]).toMatchObject({ id: '1' });
    expect(list.headers['x-amzn-requestid']).toBeTypeOf('string');
    const one = await api.GET('/widgets/{id}', { params: { path: { id: '1' } } });
    expect(one.data.id).toBe('1');
    const created = await api.POST('/widgets', { body: { value: '9.99' } });
    expect(created.status).toBe(201);
    expect(created.data.value).toBe('9.99');
    const echo = await api.PUT('/echo', { body: { a: 1 }, headers: { 'x-trace': 't1' } });
    expect(echo.data.mtls?.['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(pki.clients.valid.serialHex);
    expect(echo.data.headers['x-trace']).toBe('t1');
    await api.close();
  });

  test('a schema validates the body; a mismatch is RESPONSE_VALIDATION_FAILED', async () => {
    const gw = await gateway(version);
    const api = createClient<paths>({ baseUrl: gw.url, identity: ids.valid, ca: pki.trustStorePem });
    const priced = z.array(z.object({ id: z.string(), value: z.coerce.number() }));
    const { data } = await api.GET('/widgets', { schema: priced });
    expect(typeof data[0]?.value).toBe('number');
    const wrong = z.object({ nope: z.string() });
    const error = (await api
      .request({ method: 'GET', path: '/widgets/1', schema: wrong })
      .catch((e) => e)) as MtlsLinkError;
    expect(error.code).toBe('RESPONSE_VALIDATION_FAILED');
    expect(error.message).toContain('nope');
    await api.close();
  });

  for (const style of styles) {
    test(`a revoked certificate refused by ${style} is MTLS_REJECTED (signal ${style})`, async () => {
      const gw = await gateway(version, { refusal: { style } });
      const error = await failure(gw.url, { identity: ids.revoked });
      expect(error.code).toBe('MTLS_REJECTED');
      expect(error.details.protocol).toBe(version);
      expect(error.details.signal).toBe(style);
      if (style === 'alert') expect(error.details.alert).toBe('certificate_revoked');
      expect(error.message).toContain(`127.0.0.1:${gw.port}`);
    });

    test(`a refusal by ${style} held for 20 s is a timeout that suspects a refusal, with no forced refresh`, async () => {
      // HTTP/1.1 as the gateway used to offer: what is pinned here is silence after the handshake.
      const gw = await gateway(version, {
        refusal: { style, delayMs: 20_000 },
        tls: { minVersion: version, maxVersion: version, alpn: ['http/1.1'] },
      });
      const client = createClient({
        baseUrl: gw.url,
        identity: ids.revoked,
        ca: pki.trustStorePem,
        retry: false,
        timeouts: { connect: 800, headers: 800 },
      });
      const started = performance.now();
      const error = (await client.GET('/widgets').catch((e: unknown) => e)) as MtlsLinkError;
      const elapsed = performance.now() - started;
      const stats = client.stats();
      await client.close();
      // The deadline bounds the call; silence proves nothing, so the code is the timeout that fired.
      expect(elapsed).toBeLessThan(3000);
      expect(error.code).toBe(version === 'TLSv1.2' ? 'TIMEOUT_CONNECT' : 'TIMEOUT_HEADERS');
      expect(error.details.suspectedRefusal).toBe(true);
      expect(error.message).toContain('800 ms');
      expect(stats.forcedRefreshes).toBe(0);
    });
  }

  test('a foreign CA and an expired certificate name their alerts', async () => {
    const gw = await gateway(version, { refusal: { style: 'alert' } });
    const foreign = await failure(gw.url, { identity: ids.foreignCa });
    expect(foreign.code).toBe('MTLS_REJECTED');
    expect(['certificate_unknown', 'unknown_ca']).toContain(foreign.details.alert);
    const expired = await failure(gw.url, { identity: ids.expired });
    expect(expired.code).toBe('MTLS_REJECTED');
    expect(expired.details.alert).toBe('certificate_expired');
  });

  test('server-side TLS failures: untrusted server, wrong name, expired server certificate, no common protocol', async () => {
    const gw = await gateway(version);
    const untrusted = await failure(gw.url, { ca: pki.foreignRoot.certPem });
    expect(untrusted.code).toBe('TLS_SERVER_UNTRUSTED');
    const mismatch = await failure(gw.url, { servername: 'nothere.example.org' });
    expect(mismatch.code).toBe('TLS_HOSTNAME_MISMATCH');
    const day = 86_400_000;
    const expiredServer = await pki.intermediate.issueServer({
      dnsNames: ['localhost'],
      ips: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    });
    const stale = await gateway(version, { server: expiredServer });
    expect((await failure(stale.url, {})).code).toBe('TLS_SERVER_EXPIRED');
    // The listener speaks only h2 and the client only HTTP/1.1: the handshake fails on ALPN.
    const h2Only = await gateway(version, {
      tls: { minVersion: version, maxVersion: version, alpn: ['h2'] },
    });
    const protocol = await failure(h2Only.url, { allowH2: false });
    expect(protocol.code).toBe('TLS_PROTOCOL');
    expect(protocol.message).toContain('no_application_protocol');
  });

  test('HTTP failures: resource policy, missing route, ALB 502/503/504', async () => {
    const gw = await gateway(version);
    expect((await failure(gw.url, {}, '/nope')).code).toBe('HTTP_MISSING_AUTH_TOKEN');
    gw.update({ apiGateway: { accessDenied: true } });
    const denied = await failure(gw.url, {});
    expect(denied.code).toBe('HTTP_ACCESS_DENIED');
    expect(denied.details.requestId).toBeTypeOf('string');
    gw.update({ apiGateway: { accessDenied: false } });
    for (const status of [502, 503, 504] as const) {
      gw.update({ albError: status });
      const error = await failure(gw.url, {});
      expect(error.code).toBe('HTTP_GATEWAY_ERROR');
      expect(error.details.status).toBe(status);
      expect(error.message).toContain('awselb');
    }
  });
});

const terminators: { name: 'nginx' | 'haproxy'; start: typeof startNginx }[] = [
  { name: 'nginx', start: startNginx },
  { name: 'haproxy', start: startHaproxy },
];

for (const { name, start } of terminators) {
  const binary = findBinary(name);
  if (binary === undefined)
    console.warn(`skipping the ${name} refusal tests: no ${name} binary on PATH or in /usr/sbin`);
  describe.skipIf(binary === undefined)(`against ${name}`, () => {
    test.each<TlsVersion>(['TLSv1.2', 'TLSv1.3'])(
      'a revoked certificate is MTLS_REJECTED over %s',
      async (version) => {
        // nginx as it ships: it finishes the handshake and answers its own 400 page.
        const server: MtlsTerminator = await start({
          server: pki.server,
          caPem: pki.trustStorePem,
          crlPem: [pki.crlPem, pki.rootCrlPem],
          tls: { minVersion: version, maxVersion: version },
          ...(name === 'nginx' ? { refusal: 'http-400' as const } : {}),
        });
        try {
          const ok = createClient({ baseUrl: server.url, identity: ids.valid, ca: pki.trustStorePem });
          expect((await ok.GET('/widgets')).status).toBe(200);
          await ok.close();
          const error = await failure(server.url, {
            identity: ids.revoked,
            timeouts: { connect: 2000, headers: 2000 },
          });
          expect(error.code).toBe('MTLS_REJECTED');
          if (name === 'nginx') {
            expect(error.details).toMatchObject({ signal: 'http', reason: 'certificate-error', status: 400 });
          } else {
            expect(error.details.protocol).toBe(version);
            expect(error.details.signal).toBe('alert');
          }
        } finally {
          await server.close();
        }
      },
    );

    test('a refusal refreshes the identity and retries on the new one (rotation), whatever its shape', async () => {
      const server: MtlsTerminator = await start({
        server: pki.server,
        caPem: pki.trustStorePem,
        crlPem: [pki.crlPem, pki.rootCrlPem],
        ...(name === 'nginx' ? { refusal: 'http-400' as const } : {}),
      });
      const dir = mkdtempSync(join(tmpdir(), 'sdk-rotation-'));
      const write = (issued: typeof pki.clients.valid) => {
        writeFileSync(join(dir, 'cert.pem'), issued.certPem + issued.chainPem);
        writeFileSync(join(dir, 'key.pem'), issued.keyPem);
      };
      write(pki.clients.revoked);
      const identity = fromFiles({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
      await identity.current();
      const client = createClient({ baseUrl: server.url, identity, ca: pki.trustStorePem });
      try {
        // The identity was rotated in place: the refusal makes the client reload and retry once.
        write(pki.clients.valid);
        const { status } = await client.GET('/widgets');
        expect(status).toBe(200);
        expect(client.stats().forcedRefreshes).toBeGreaterThanOrEqual(1);
        expect(client.stats().identityRetries).toBeGreaterThanOrEqual(1);
      } finally {
        await client.close();
        rmSync(dir, { recursive: true, force: true });
        await server.close();
      }
    });
  });
}

describe('over HTTP/2 (TLS 1.3, ALPN h2)', () => {
  for (const style of styles) {
    test(`a refusal by ${style} is MTLS_REJECTED`, async () => {
      const gw = await gateway('TLSv1.3', {
        refusal: { style },
        tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', alpn: ['h2'] },
      });
      const error = await failure(gw.url, {
        identity: ids.revoked,
        allowH2: true,
        timeouts: { headers: 1000 },
      });
      expect(error.code).toBe('MTLS_REJECTED');
      expect(error.details.signal).toBe(style);
    });
  }

  test('a reset on an accepted HTTP/2 connection is REQUEST_FAILED, not a refusal', async () => {
    const gw = await gateway('TLSv1.3', {
      tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', alpn: ['h2'] },
    });
    const api = createClient({
      baseUrl: gw.url,
      identity: ids.valid,
      ca: pki.trustStorePem,
      allowH2: true,
      retry: false,
    });
    expect((await api.GET('/widgets')).status).toBe(200);
    gw.update({ faults: { resetRatio: 1 } });
    const error = (await api.GET('/widgets').catch((e: unknown) => e)) as MtlsLinkError;
    await api.close();
    expect(error.code).toBe('REQUEST_FAILED');
  });
});
