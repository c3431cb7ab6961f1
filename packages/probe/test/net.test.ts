import { createTestPki, type Gateway, startGateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addressScope, percentile } from '../src/index.ts';
import { parseHostPort } from '../src/net/address.ts';
import { HttpResponseReader } from '../src/net/http-response.ts';
import { resolveHost } from '../src/net/resolve.ts';
import { tlsExchange } from '../src/net/tls-exchange.ts';

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

describe('HTTP/1.1 response reader', () => {
  test('content-length, chunked, and read-until-close bodies', () => {
    const fixed = new HttpResponseReader();
    expect(fixed.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel'))).toBeUndefined();
    expect(fixed.push(Buffer.from('lo'))).toMatchObject({ status: 200, body: 'hello' });
    const chunked = new HttpResponseReader();
    const response = chunked.push(
      Buffer.from(
        'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nX-Amzn-ErrorType: A\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      ),
    );
    expect(response).toMatchObject({
      status: 403,
      statusText: 'Forbidden',
      body: 'abcde',
      headers: { 'x-amzn-errortype': 'A' },
    });
    const untilClose = new HttpResponseReader();
    expect(untilClose.push(Buffer.from('HTTP/1.0 502 Bad Gateway\r\n\r\n<html>'))).toBeUndefined();
    expect(untilClose.end()).toMatchObject({ status: 502, body: '<html>' });
    expect(new HttpResponseReader().end()).toBeUndefined();
  });

  test('percentiles for --watch are nearest-rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('tlsExchange keeps SNI and Host when it dials another address (--connect-to)', () => {
  let pki: TestPki;
  let gateway: Gateway;
  beforeAll(async () => {
    pki = await createTestPki();
    gateway = await startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem },
    });
  });
  afterAll(() => gateway?.close());

  test('the request reaches the server with the URL host in Host, over a certificate for that name', async () => {
    const result = await tlsExchange({
      address: '127.0.0.1',
      port: gateway.port,
      servername: 'api.example.com',
      verifyName: 'api.example.com',
      ca: [pki.root.certPem],
      identity: pki.clients.valid,
      alpn: ['http/1.1'],
      request: { method: 'GET', path: '/echo', hostHeader: 'api.example.com', headers: [['X-Probe', '1']] },
      timeoutMs: 3000,
    });
    expect(result.failure).toBeUndefined();
    expect(result.handshake).toMatchObject({
      completed: true,
      verifyError: undefined,
      hostnameError: undefined,
    });
    const echoed = JSON.parse(result.response?.body ?? '{}') as { headers: Record<string, string> };
    expect(echoed.headers.host).toBe('api.example.com');
    expect(echoed.headers['x-probe']).toBe('1');
    expect(result.timings.connectMs).toBeTypeOf('number');
    expect(result.timings.firstByteMs).toBeTypeOf('number');
  });
});
