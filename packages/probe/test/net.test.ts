import { exchangeOnce } from '@mtls-link/sdk/diagnostics';
import { createTestPki, type Gateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addressScope, percentile } from '../src/index.ts';
import { parseHostPort } from '../src/net/address.ts';
import { resolveHost } from '../src/net/resolve.ts';
import { tlsExchange } from '../src/net/tls-exchange.ts';
import { startVerifyGateway } from './helpers/servers.ts';

describe('system resolver', () => {
  test('localhost is answered by getaddrinfo alone: never asked of DNS (RFC 6761), so no "not reported" note', async () => {
    const resolution = await resolveHost('localhost', { timeoutMs: 2_000 });
    expect(resolution.resolver).toBe('system');
    expect(resolution.addresses.map((a) => a.scope)).toContain('loopback');
    expect(resolution.cnameChain).toEqual([]);
    expect(resolution.dnsDetails).toBeUndefined();
  });
});

describe('address scope (what dns.resolve calls private)', () => {
  test.each([
    ['10.1.2.3', 'private'],
    ['172.31.255.1', 'private'],
    ['192.168.0.10', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['203.0.113.10', 'public'],
    ['2600:1f18::1', 'public'],
  ])('%s is %s', (address, scope) => expect(addressScope(address)).toBe(scope));

  test('HOST:PORT parsing for --connect-to and --resolver', () => {
    expect(parseHostPort('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseHostPort('[::1]:53')).toEqual({ host: '::1', port: 53 });
    expect(parseHostPort('10.0.0.2', 53)).toEqual({ host: '10.0.0.2', port: 53 });
    expect(parseHostPort('host.example:0')).toBeUndefined();
    expect(parseHostPort('no-port')).toBeUndefined();
  });
});

describe('watch statistics', () => {
  test('percentiles for --watch are nearest-rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('requests keep SNI and Host when they dial another address (--connect-to)', () => {
  let pki: TestPki;
  let gateway: Gateway;
  beforeAll(async () => {
    pki = await createTestPki();
    gateway = await startVerifyGateway(pki);
  });
  afterAll(() => gateway?.close());

  test('tlsExchange verifies the server certificate for the URL host while dialling an address', async () => {
    const result = await tlsExchange({
      address: '127.0.0.1',
      port: gateway.port,
      servername: 'api.example.com',
      verifyName: 'api.example.com',
      ca: [pki.root.certPem],
      identity: pki.clients.valid,
      alpn: ['h2', 'http/1.1'],
      timeoutMs: 3000,
    });
    expect(result.failure).toBeUndefined();
    expect(result.handshake).toMatchObject({
      completed: true,
      verifyError: undefined,
      hostnameError: undefined,
    });
    expect(result.timings.connectMs).toBeTypeOf('number');
  });

  test("the SDK's exchange reaches the server with the URL host in Host, over the SDK's connector", async () => {
    const common = {
      origin: 'https://api.example.com',
      address: '127.0.0.1',
      port: gateway.port,
      servername: 'api.example.com',
      ca: [pki.root.certPem],
      identity: pki.clients.valid,
      connectTimeoutMs: 3000,
      responseTimeoutMs: 3000,
    };
    const plain = await exchangeOnce({
      ...common,
      request: { method: 'GET', path: '/echo', headers: [['X-Probe', '1']] },
    });
    expect(plain.error).toBeUndefined();
    expect(plain.verdict).toEqual({ kind: 'accepted', evidence: expect.any(String) });
    const echoed = JSON.parse(plain.response?.body ?? '{}') as { headers: Record<string, string> };
    expect(echoed.headers.host).toBe('api.example.com');
    expect(echoed.headers['x-probe']).toBe('1');
    expect(plain.timings.connectMs).toBeTypeOf('number');
    expect(plain.timings.firstByteMs).toBeTypeOf('number');
  });
});
