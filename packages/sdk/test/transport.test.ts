import type { TLSSocket } from 'node:tls';
import { createTestPki, type Gateway, startGateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ClientIdentity,
  createClient,
  type MtlsLinkError,
  RefreshingIdentityProvider,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';

let pki: TestPki;
let first: ClientIdentity;
let second: ClientIdentity;
const closers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  first = identityOf(pki.clients.valid, 'first');
  second = identityOf(await pki.intermediate.issueClient({ commonName: 'client second' }), 'second');
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((closer) => closer.close()));
});

/** Answers with the serial of the client certificate; `/slow` waits first. */
async function serialEchoServer(): Promise<LocalServer> {
  const server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    clientCaPem: pki.trustStorePem,
    handler: (req, res, socket: TLSSocket) => {
      const serial = socket.getPeerCertificate().serialNumber;
      const answer = () => json(res, 200, { serial });
      if (req.url === '/slow') setTimeout(answer, 400);
      else answer();
    },
  });
  closers.push(server);
  return server;
}

/** A provider whose next load returns whatever `holder.identity` is then. */
function switchableProvider(holder: { identity: ClientIdentity }) {
  return new RefreshingIdentityProvider(async () => holder.identity, {
    refreshEvery: '1h',
    minRefreshInterval: 1,
  });
}

describe('one keep-alive pool per identity', () => {
  test('a new identity gets a new pool at once; requests in flight on the old pool finish on it', async () => {
    const server = await serialEchoServer();
    const holder = { identity: first };
    const provider = switchableProvider(holder);
    const api = createClient({ baseUrl: server.url, identity: provider, ca: pki.trustStorePem });
    const swaps: { from: string | undefined; to: string }[] = [];
    api.on('pool-swap', (event) => swaps.push(event));

    const before = await api.GET('/widgets');
    expect(before.data).toEqual({ serial: pki.clients.valid.serialHex });
    const inFlight = Array.from({ length: 4 }, () => api.GET('/slow'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.identity = second;
    await provider.refresh({ force: true, reason: 'test rotation' });
    const after = await api.GET('/widgets');
    expect((after.data as { serial: string }).serial).toBe(second.serialHex);
    for (const response of await Promise.all(inFlight)) {
      expect(response.data).toEqual({ serial: pki.clients.valid.serialHex });
    }
    expect(swaps.map((swap) => swap.to)).toEqual([first.fingerprint256, second.fingerprint256]);
    expect(api.stats().poolSwaps).toBe(1);
    await api.close();
    provider.close();
  });

  test('the same identity loaded again keeps its pool (no churn)', async () => {
    const server = await serialEchoServer();
    const holder = { identity: first };
    const provider = switchableProvider(holder);
    const api = createClient({ baseUrl: server.url, identity: provider, ca: pki.trustStorePem });
    await api.GET('/widgets');
    holder.identity = identityOf(pki.clients.valid, 'same-again');
    await provider.refresh({ force: true });
    await api.GET('/widgets');
    expect(api.stats().poolSwaps).toBe(0);
    await api.close();
    provider.close();
  });

  test('close() lets in-flight requests finish, then refuses new ones with a typed error', async () => {
    const server = await serialEchoServer();
    const api = createClient({ baseUrl: server.url, identity: first, ca: pki.trustStorePem });
    const inFlight = Array.from({ length: 3 }, () => api.GET('/slow'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await api.close();
    expect((await Promise.all(inFlight)).map((response) => response.status)).toEqual([200, 200, 200]);
    const error = (await api.GET('/widgets').catch((e: unknown) => e)) as MtlsLinkError;
    expect(error.code).toBe('CLIENT_CLOSED');
    expect(error.name).toBe('ClientClosedError');
    expect(error.message).toContain('closed');
    // Not the generic "fix the option named in the message": no option is wrong here.
    expect(error.hint).toContain('close() was called');
  });
});

describe('connections and protocols', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
      tls: { alpn: ['h2', 'http/1.1'] },
    });
    closers.push(gw);
  });

  test('2,000 requests at concurrency 32 cost no more full handshakes than the pool size', async () => {
    const before = gw.handshakes();
    const api = createClient({ baseUrl: gw.url, identity: first, ca: pki.trustStorePem, connections: 32 });
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 2000) {
          next += 1;
          await api.GET('/widgets');
        }
      }),
    );
    await api.close();
    const handshakes = gw.handshakes() - before;
    console.info(`2,000 requests over ${handshakes} TLS handshakes`);
    expect(handshakes).toBeGreaterThan(0);
    expect(handshakes).toBeLessThanOrEqual(32);
  });

  test('HTTP/2 by default when the server offers it (ALPN); HTTP/1.1 with allowH2: false', async () => {
    const h1 = createClient({ baseUrl: gw.url, identity: first, ca: pki.trustStorePem, allowH2: false });
    const h2 = createClient({ baseUrl: gw.url, identity: first, ca: pki.trustStorePem });
    const one = await h1.GET('/widgets');
    const two = await h2.GET('/widgets');
    // HTTP/1.1 answers carry connection headers; HTTP/2 forbids them.
    expect(one.headers.connection).toBe('keep-alive');
    expect(two.headers.connection).toBeUndefined();
    expect(two.data).toEqual(one.data);
    await Promise.all([h1.close(), h2.close()]);
  });
});
