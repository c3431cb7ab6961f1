import { createServer as createHttpsServer } from 'node:https';
import { classifyFailure } from '@mtls-link/sdk/diagnostics';
import {
  createTestPki,
  type Gateway,
  type LocalDnsServer,
  type LocalEc2,
  startDnsServer,
  startEc2,
  startGateway,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CheckId, type ProbeResult, renderResult } from '../src/index.ts';
import { type CliRun, ensureBuilt, runCli } from './helpers/built-cli.ts';
import { type IdentityFiles, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { closedPort } from './helpers/servers.ts';

// Per-address judgement (one AZ down), DNS side queries that a resolver refuses, and dual-stack
// endpoints, each through the built CLI against real servers on loopback.

interface Env {
  pki: TestPki;
  files: PkiFiles;
  valid: IdentityFiles;
  gw: Gateway;
  refusedPort: number;
  dns: LocalDnsServer;
  /** Answers A, refuses CNAME (dnsmasq without a local zone). */
  refusesCname: LocalDnsServer;
  /** Answers A, SERVFAIL for AAAA, silence for CNAME. */
  flakySide: LocalDnsServer;
  ec2: LocalEc2;
}

let env: Env;

const loopback = { type: 'A' as const, data: '127.0.0.1' };
const records = {
  'api.example.com': [loopback],
  // Two AZs: the gateway listens on 127.0.0.1 only, so 127.0.0.2 (same port) refuses TCP.
  'two-az.example.com': [loopback, { type: 'A' as const, data: '127.0.0.2' }],
  'dual.example.com': [loopback, { type: 'AAAA' as const, data: '::1' }],
  // A dual-stack endpoint's VPC IPv6 address is global unicast (2001:db8::/32 is documentation).
  'gua.example.com': [loopback, { type: 'AAAA' as const, data: '2001:db8:1::10' }],
};

beforeAll(async () => {
  const [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  const files = writePki(pki);
  const [gw, refusedPort, dns, refusesCname, flakySide] = await Promise.all([
    startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } }),
    closedPort(),
    startDnsServer({ records, refused: ['refused.example.com'], servfail: ['servfail.example.com'] }),
    startDnsServer({ records, byType: { CNAME: 'refused' } }),
    startDnsServer({ records, byType: { AAAA: 'servfail', CNAME: 'silent' } }),
  ]);
  const endpoint = (id: string, eni: string) => ({
    id,
    serviceName: 'com.amazonaws.vpce.svc-1',
    networkInterfaceIds: [eni],
    securityGroups: [{ groupId: 'sg-443' }],
  });
  const ec2 = await startEc2({
    vpcEndpoints: [
      endpoint('vpce-0dual', 'eni-dual'),
      endpoint('vpce-0v4only', 'eni-v4'),
      endpoint('vpce-0gua', 'eni-gua'),
    ],
    networkInterfaces: [
      { id: 'eni-dual', privateIpAddress: '127.0.0.1', ipv6Addresses: ['::1'] },
      { id: 'eni-v4', privateIpAddress: '127.0.0.1' },
      // Spelled out in full, as an operator might seed it: compared by value, not by spelling.
      { id: 'eni-gua', privateIpAddress: '127.0.0.1', ipv6Addresses: ['2001:0db8:0001:0000::0010'] },
    ],
    securityGroups: [
      {
        groupId: 'sg-443',
        ingress: [
          { protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['127.0.0.0/8'], ipv6Cidrs: ['::1/128'] },
        ],
      },
    ],
  });
  env = {
    pki,
    files,
    valid: files.identity('valid', pki.clients.valid),
    gw,
    refusedPort,
    dns,
    refusesCname,
    flakySide,
    ec2,
  };
}, 120_000);

afterAll(async () => {
  if (!env) return;
  await Promise.all([
    env.gw.close(),
    env.dns.close(),
    env.refusesCname.close(),
    env.flakySide.close(),
    env.ec2.close(),
  ]);
  env.files.remove();
});

async function probe(args: string[]): Promise<{ run: CliRun; result: ProbeResult }> {
  const run = await runCli(['check', ...args, '--format', 'json']);
  expect(run.stderr).toBe('');
  return { run, result: JSON.parse(run.stdout) as ProbeResult };
}

function check(result: ProbeResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} in the result`);
  return found;
}

const url = (host: string, port = env.gw.port) => `https://${host}:${port}/widgets`;
const creds = () => ['--cert', env.valid.cert, '--key', env.valid.key, '--ca', env.files.ca];
const viaDns = (server: LocalDnsServer) => ['--resolver', server.address];
const sni = ['--servername', 'api.example.com'];

describe.concurrent('per address: one AZ down', () => {
  test('one of two addresses refuses TCP: tcp.connect fails naming it, every later check runs and passes on the other', async () => {
    const { run, result } = await probe([url('two-az.example.com'), ...viaDns(env.dns), ...sni, ...creds()]);
    expect(run.status).toBe(1);
    expect(result.verdict).toBe('fail');
    const tcp = check(result, 'tcp.connect');
    expect(tcp).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(tcp.summary).toContain(`127.0.0.2:${env.gw.port} refused`);
    expect(tcp.summary).toContain('the later checks run on the address that answered');
    expect(tcp.details.addresses).toEqual([
      expect.objectContaining({ address: '127.0.0.1', ok: true }),
      expect.objectContaining({
        address: '127.0.0.2',
        ok: false,
        error: 'ECONNREFUSED',
        code: 'TCP_REFUSED',
      }),
    ]);
    for (const id of ['tls.server', 'tls.no-client-cert', 'tls.client-cert', 'http.response'] as const) {
      const c = check(result, id);
      expect(c.status, `${id}: ${c.summary}`).toBe('pass');
      expect(
        (c.details.addresses as { address: string }[]).map((a) => a.address),
        id,
      ).toEqual(['127.0.0.1']);
      expect(c.details.excludedAddresses, id).toEqual([
        {
          address: '127.0.0.2',
          port: env.gw.port,
          failedAt: 'tcp.connect',
          code: 'TCP_REFUSED',
          error: 'ECONNREFUSED',
        },
      ]);
    }
    // Checks that dial nothing are not marked.
    expect(check(result, 'client-cert.inspect').details.excludedAddresses).toBeUndefined();
    // The gateway saw the connections that went through the answering address.
    expect(env.gw.connectionLog.some((e) => e.tlsVerifyStatus === 'Success')).toBe(true);

    const text = renderResult(result, 'text');
    expect(text).toMatch(new RegExp(`127\\.0\\.0\\.1:${env.gw.port} {2}ok [\\d.]+ ms`));
    expect(text).toContain(`127.0.0.2:${env.gw.port}  TCP_REFUSED`);
    expect(text).toContain(`127.0.0.2:${env.gw.port}  not tried: failed tcp.connect (TCP_REFUSED)`);
  });

  test('one of two addresses presents an untrusted certificate: tls.server fails naming it, the requests that had gone out to it are left out, the later checks pass on the other', async () => {
    // Another AZ's interface answering for a server the probe does not trust, and answering 200 to
    // anyone: its answer without a certificate would read as "mTLS not enforced" if it were judged.
    // A gateway of its own: the stray listens on 127.0.0.2 at that gateway's port, so the test
    // beside this one (run concurrently) still finds 127.0.0.2 closed at the shared gateway's port.
    const gw = await startGateway({
      mode: 'verify',
      server: env.pki.server,
      trustStore: { caPem: env.pki.trustStorePem },
    });
    const stray = createHttpsServer(
      { cert: env.pki.clients.foreignCa.certPem, key: env.pki.clients.foreignCa.keyPem },
      (_request, response) => response.end('{}'),
    );
    await new Promise<void>((resolve) => stray.listen(gw.port, '127.0.0.2', resolve));
    try {
      const { run, result } = await probe([
        url('two-az.example.com', gw.port),
        ...viaDns(env.dns),
        ...sni,
        ...creds(),
      ]);
      expect(run.status).toBe(1);
      const tls = check(result, 'tls.server');
      expect(tls).toMatchObject({ status: 'fail', code: 'TLS_SERVER_UNTRUSTED' });
      expect(tls.summary).toContain('the later checks run on the address whose TLS is sound');
      for (const id of ['tls.no-client-cert', 'tls.client-cert', 'http.response'] as const) {
        const c = check(result, id);
        expect(c.status, `${id}: ${c.summary}`).toBe('pass');
        expect(
          (c.details.addresses as { address: string }[]).map((a) => a.address),
          id,
        ).toEqual(['127.0.0.1']);
        expect(c.details.excludedAddresses, id).toEqual([
          { address: '127.0.0.2', port: gw.port, failedAt: 'tls.server', code: 'TLS_SERVER_UNTRUSTED' },
        ]);
      }
    } finally {
      stray.closeAllConnections();
      await new Promise((resolve) => stray.close(resolve));
      await gw.close();
    }
  });

  test('every address refuses TCP: the later network checks are skipped', async () => {
    const { run, result } = await probe([
      url('two-az.example.com', env.refusedPort),
      ...viaDns(env.dns),
      ...sni,
      ...creds(),
    ]);
    expect(run.status).toBe(1);
    const tcp = check(result, 'tcp.connect');
    expect(tcp).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(tcp.summary).toMatch(/^2 of 2 addresses failed/);
    for (const id of ['tls.server', 'tls.no-client-cert', 'tls.client-cert', 'http.response'] as const)
      expect(check(result, id).status, id).toBe('skip');
    expect(check(result, 'client-cert.inspect').status).toBe('pass');
    // All alike: no per-address lines, the summary says it.
    expect(renderResult(result, 'text')).not.toContain('not tried');
  });

  test('when every address fares the same, the text shows no per-address lines', async () => {
    const { result } = await probe([url('api.example.com'), ...viaDns(env.dns), ...creds()]);
    expect(result.verdict).toBe('pass');
    expect(renderResult(result, 'text')).not.toContain(`127.0.0.1:${env.gw.port}  `);
  });
});

describe.concurrent('DNS: side queries never sink an answered address', () => {
  test('a resolver that answers A but refuses the CNAME query: the name resolved and every check passes', async () => {
    const { run, result } = await probe([url('api.example.com'), ...viaDns(env.refusesCname), ...creds()]);
    expect(run.status).toBe(0);
    const dns = check(result, 'dns.resolve');
    expect(dns.status).toBe('pass');
    expect(dns.summary).toContain('CNAME api.example.com refused');
    expect(dns.details.failedQueries).toEqual([
      { name: 'api.example.com', type: 'CNAME', errno: 'EREFUSED' },
    ]);
    expect(dns.details.note).toMatch(/chain shown may be incomplete/);
    expect(env.refusesCname.queryLog.some((q) => q.type === 'CNAME')).toBe(true);
    expect(check(result, 'http.response').status).toBe('pass');
  });

  test('AAAA SERVFAIL and an unanswered CNAME query beside an A answer: pass, within --timeout', async () => {
    const { run, result } = await probe([
      url('api.example.com'),
      ...viaDns(env.flakySide),
      ...creds(),
      '--timeout',
      '800',
    ]);
    expect(run.status).toBe(0);
    const dns = check(result, 'dns.resolve');
    expect(dns.status).toBe('pass');
    expect(dns.details.failedQueries).toEqual(
      expect.arrayContaining([
        { name: 'api.example.com', type: 'AAAA', errno: 'ESERVFAIL' },
        { name: 'api.example.com', type: 'CNAME', errno: 'ETIMEOUT' },
      ]),
    );
    expect(dns.details.addresses).toEqual([expect.objectContaining({ address: '127.0.0.1', family: 4 })]);
    expect(dns.durationMs).toBeLessThan(800 + 500);
  });

  test('REFUSED for the name itself: DNS_REFUSED, not DNS_TIMEOUT', async () => {
    const { run, result } = await probe([url('refused.example.com'), ...viaDns(env.dns), ...creds()]);
    expect(run.status).toBe(1);
    expect(check(result, 'dns.resolve')).toMatchObject({ status: 'fail', code: 'DNS_REFUSED' });
    expect(check(result, 'dns.resolve').hint).toMatch(/refused the query/);
    expect(check(result, 'tcp.connect').status).toBe('skip');
  });

  test('SERVFAIL for the name itself: DNS_SERVFAIL', async () => {
    const { run, result } = await probe([url('servfail.example.com'), ...viaDns(env.dns), ...creds()]);
    expect(run.status).toBe(1);
    expect(check(result, 'dns.resolve')).toMatchObject({ status: 'fail', code: 'DNS_SERVFAIL' });
    expect(check(result, 'dns.resolve').summary).toContain('SERVFAIL');
  });
});

describe.concurrent('dual stack: the endpoint interfaces IPv6 addresses', () => {
  // Dialled on 127.0.0.1 through --connect-to: the tests never leave loopback.
  const dialLoopback = () => ['--connect-to', `127.0.0.1:${env.gw.port}`, ...sni];
  const endpointArgs = (id: string) => ['--vpc-endpoint-id', id, '--ec2-endpoint', env.ec2.endpoint];

  test('A and AAAA answers both belong to the endpoint interfaces: vpce.state passes', async () => {
    const { result } = await probe([
      url('dual.example.com'),
      ...viaDns(env.dns),
      ...dialLoopback(),
      ...creds(),
      ...endpointArgs('vpce-0dual'),
    ]);
    const vpce = check(result, 'vpce.state');
    expect(vpce.status, vpce.summary).toBe('pass');
    expect(vpce.summary).toContain('2 interface addresses (1 IPv6) match DNS');
    expect(vpce.details.ipAddressType).toBe('dualstack');
    expect(vpce.details.eniAddresses).toEqual([
      expect.objectContaining({ address: '127.0.0.1', family: 4, eni: 'eni-dual' }),
      expect.objectContaining({ address: '::1', family: 6, eni: 'eni-dual' }),
    ]);
  });

  test('an AAAA answer that is no address of the interfaces: VPCE_DNS_MISMATCH naming it', async () => {
    const { result } = await probe([
      url('dual.example.com'),
      ...viaDns(env.dns),
      ...dialLoopback(),
      ...creds(),
      ...endpointArgs('vpce-0v4only'),
    ]);
    const vpce = check(result, 'vpce.state');
    expect(vpce).toMatchObject({ status: 'fail', code: 'VPCE_DNS_MISMATCH' });
    expect(vpce.summary).toMatch(/^DNS answered ::1, which is not an address/);
  });

  test("a global-unicast IPv6 address of the endpoint's interface is private, not DNS_PUBLIC_ADDRESS", async () => {
    const { run, result } = await probe([
      url('gua.example.com'),
      ...viaDns(env.dns),
      ...dialLoopback(),
      ...creds(),
      ...endpointArgs('vpce-0gua'),
    ]);
    const dns = check(result, 'dns.resolve');
    expect(dns.status, dns.summary).toBe('pass');
    expect(dns.details.addresses).toEqual([
      expect.objectContaining({ address: '127.0.0.1', scope: 'loopback' }),
      expect.objectContaining({ address: '2001:db8:1::10', scope: 'private', endpointInterface: 'eni-gua' }),
    ]);
    expect(check(result, 'vpce.state').status).toBe('pass');
    expect(run.status).toBe(0);
  });

  test('the same address without --vpc-endpoint-id: nothing says it is the endpoint, DNS_PUBLIC_ADDRESS', async () => {
    const { result } = await probe([
      url('gua.example.com'),
      ...viaDns(env.dns),
      ...dialLoopback(),
      ...creds(),
    ]);
    expect(check(result, 'dns.resolve')).toMatchObject({ status: 'fail', code: 'DNS_PUBLIC_ADDRESS' });
    expect(check(result, 'dns.resolve').summary).toContain('2001:db8:1::10');
  });

  test('no route to an address (ENETUNREACH, EHOSTUNREACH) is TCP_NO_ROUTE, not a security-group timeout', () => {
    for (const code of ['ENETUNREACH', 'EHOSTUNREACH']) {
      const error = Object.assign(new Error(`connect ${code} 2001:db8:1::10:443`), {
        code,
        syscall: 'connect',
      });
      const classified = classifyFailure(error, { host: '2001:db8:1::10', port: 443, tcpConnected: false });
      expect(classified.code).toBe('TCP_NO_ROUTE');
      expect(classified.message).toContain('no route from this host to 2001:db8:1::10:443');
    }
  });
});
