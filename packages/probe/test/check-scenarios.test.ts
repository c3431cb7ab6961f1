import {
  createTestPki,
  findBinary,
  type Gateway,
  type LocalDnsServer,
  type LocalEc2,
  type LocalElbv2,
  type LocalS3,
  type LocalSecretsManager,
  type MtlsTerminator,
  startDnsServer,
  startEc2,
  startElbv2,
  startGateway,
  startHaproxy,
  startNginx,
  startS3,
  startSecretsManager,
  type TestPki,
  toEncryptedPkcs8Pem,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_IDS, type CheckId, type ProbeCode, type ProbeResult, renderResult } from '../src/index.ts';
import { type CliRun, ensureBuilt, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type IdentityFiles, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { closedPort, startSilentServer } from './helpers/servers.ts';

const passphrase = 'correct horse battery staple 7';

interface Env {
  pki: TestPki;
  files: PkiFiles;
  ids: Record<
    | 'valid'
    | 'revoked'
    | 'expired'
    | 'notYetValid'
    | 'foreignCa'
    | 'serverAuthOnly'
    | 'rsa1024'
    | 'chainTooDeep'
    | 'encrypted'
    | 'mismatch',
    IdentityFiles
  >;
  dns: LocalDnsServer;
  publicDns: LocalDnsServer;
  gw: Record<
    | 'verify'
    | 'passthrough'
    | 'denied'
    | 'alb502'
    | 'tls12'
    | 'tls12Reset'
    | 'tls13'
    | 'slowClose'
    | 'expiredServer',
    Gateway
  >;
  silent: { port: number; close(): Promise<void> };
  refusedPort: number;
  ec2: LocalEc2;
  elbv2: LocalElbv2;
  s3: LocalS3;
  secrets: LocalSecretsManager;
  nginx?: MtlsTerminator;
  haproxy?: MtlsTerminator;
}

let env: Env;
const trustStoreArn =
  'arn:aws:elasticloadbalancing:us-east-1:000000000000:truststore/consumer-ts/0123456789abcdef';

beforeAll(async () => {
  const [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  const files = writePki(pki);
  const other = await pki.intermediate.issueClient({ commonName: 'client other' });
  const past = new Date(Date.now() - 30 * 86_400_000);
  const expiredServer = await pki.intermediate.issueServer({
    dnsNames: ['api.example.com'],
    notBefore: new Date(past.getTime() - 86_400_000),
    notAfter: past,
  });
  const mismatch: IdentityFiles = {
    cert: files.write('mismatch.pem', pki.clients.valid.certPem + pki.clients.valid.chainPem),
    key: files.write('mismatch.key', other.keyPem),
  };
  files.secrets.push(other.keyPem);
  const encrypted: IdentityFiles = {
    cert: files.write('encrypted.pem', pki.clients.valid.certPem + pki.clients.valid.chainPem),
    key: files.write('encrypted.key', toEncryptedPkcs8Pem(pki.clients.valid.keyPem, passphrase)),
  };
  const c = pki.clients;
  const ids = {
    valid: files.identity('valid', c.valid),
    revoked: files.identity('revoked', c.revoked),
    expired: files.identity('expired', c.expired),
    notYetValid: files.identity('not-yet-valid', c.notYetValid),
    foreignCa: files.identity('foreign-ca', c.foreignCa),
    serverAuthOnly: files.identity('server-auth-only', c.serverAuthOnly),
    rsa1024: files.identity('rsa1024', c.rsa1024),
    chainTooDeep: files.identity('chain-too-deep', c.chainTooDeep),
    encrypted,
    mismatch,
  };
  const trustStore = { caPem: pki.trustStorePem, crlPems: [pki.crlPem] };
  const verify = (extra: Partial<Parameters<typeof startGateway>[0]> = {}) =>
    startGateway({ mode: 'verify', server: pki.server, trustStore, ...extra });
  const loopback = [{ type: 'A' as const, data: '127.0.0.1' }];
  const [dns, publicDns, gws, silent, refusedPort] = await Promise.all([
    startDnsServer({
      records: {
        'api.example.com': loopback,
        'other.example.com': loopback,
        'alias.example.com': [{ type: 'CNAME', data: 'api.example.com', ttl: 30 }],
        // Two AZs: the second interface address has nothing listening.
        'two-az.example.com': [...loopback, { type: 'A', data: '127.0.0.2' }],
      },
      silent: ['silent.example.com'],
    }),
    startDnsServer({ records: { 'api.example.com': [{ type: 'A', data: '203.0.113.10' }] } }),
    Promise.all([
      // Refuses with alerts: the scenarios on it read the alert (signal, hint).
      verify({ refusal: { style: 'alert' } }),
      startGateway({ mode: 'passthrough', server: pki.server }),
      verify({ apiGateway: { accessDenied: true } }),
      verify({ albError: 502 }),
      verify({ tls: { maxVersion: 'TLSv1.2' } }),
      // s2n may refuse without an alert: the client then sees the connection end mid-handshake.
      verify({ tls: { maxVersion: 'TLSv1.2' }, refusal: { style: 'reset' } }),
      verify({ tls: { minVersion: 'TLSv1.3' } }),
      verify({ refusal: { style: 'close', delayMs: 20_000 } }),
      verify({ server: expiredServer }),
    ]),
    startSilentServer(),
    closedPort(),
  ]);
  const [verifyGw, passthrough, denied, alb502, tls12, tls12Reset, tls13, slowClose, expiredGw] = gws;
  const eni = (id: string) => ({
    id,
    privateIpAddress: '127.0.0.1',
    securityGroups: [{ groupId: 'sg-443' }],
  });
  const ec2 = await startEc2({
    vpcEndpoints: [
      {
        id: 'vpce-0ok',
        serviceName: 'com.amazonaws.vpce.svc-1',
        networkInterfaceIds: ['eni-ok'],
        securityGroups: [{ groupId: 'sg-443' }],
      },
      {
        id: 'vpce-0pending',
        serviceName: 'com.amazonaws.vpce.svc-1',
        state: 'pendingAcceptance',
        networkInterfaceIds: ['eni-pending'],
        securityGroups: [{ groupId: 'sg-443' }],
      },
      {
        id: 'vpce-0nosg',
        serviceName: 'com.amazonaws.vpce.svc-1',
        networkInterfaceIds: ['eni-nosg'],
        securityGroups: [{ groupId: 'sg-ssh' }],
      },
      {
        // Its security group is gone (or, in AWS, the role may not describe it).
        id: 'vpce-0nogroup',
        serviceName: 'com.amazonaws.vpce.svc-1',
        networkInterfaceIds: ['eni-ok'],
        securityGroups: [{ groupId: 'sg-gone' }],
      },
      {
        id: 'vpce-0subnet',
        serviceName: 'com.amazonaws.vpce.svc-1',
        networkInterfaceIds: ['eni-ok'],
        securityGroups: [{ groupId: 'sg-other-subnet' }],
      },
    ],
    networkInterfaces: [
      eni('eni-ok'),
      eni('eni-pending'),
      { ...eni('eni-nosg'), securityGroups: [{ groupId: 'sg-ssh' }] },
    ],
    securityGroups: [
      {
        groupId: 'sg-443',
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['10.0.0.0/16', '127.0.0.0/8'] }],
      },
      // 443 is open, but only to another subnet: this host (127.0.0.1) is not admitted.
      {
        groupId: 'sg-other-subnet',
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['10.9.0.0/16'] }],
      },
      { groupId: 'sg-ssh', ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'] }] },
    ],
  });
  const s3 = await startS3({ objects: { 'consumer-crls/intermediate.crl': pki.crlPem } });
  const elbv2 = await startElbv2({
    trustStores: [
      {
        arn: trustStoreArn,
        name: 'consumer-ts',
        caBundlePem: pki.trustStorePem,
        revocations: [{ crlPem: pki.crlPem }],
      },
    ],
  });
  const secrets = await startSecretsManager({
    secrets: [
      {
        name: 'consumer/api-client',
        string: JSON.stringify({
          certificate: c.valid.certPem,
          privateKey: c.valid.keyPem,
          certificateChain: c.valid.chainPem,
        }),
      },
    ],
  });
  const terminator = { server: pki.server, caPem: pki.trustStorePem, crlPem: [pki.crlPem, pki.rootCrlPem] };
  const [nginx, haproxy] = await Promise.all([
    // nginx as it ships: its own 400 pages refuse at HTTP level.
    findBinary('nginx') ? startNginx({ ...terminator, refusal: 'http-400' }) : undefined,
    findBinary('haproxy') ? startHaproxy(terminator) : undefined,
  ]);
  env = {
    pki,
    files,
    ids,
    dns,
    publicDns,
    gw: {
      verify: verifyGw as Gateway,
      passthrough: passthrough as Gateway,
      denied: denied as Gateway,
      alb502: alb502 as Gateway,
      tls12: tls12 as Gateway,
      tls12Reset: tls12Reset as Gateway,
      tls13: tls13 as Gateway,
      slowClose: slowClose as Gateway,
      expiredServer: expiredGw as Gateway,
    },
    silent,
    refusedPort,
    ec2,
    elbv2,
    s3,
    secrets,
    ...(nginx ? { nginx } : {}),
    ...(haproxy ? { haproxy } : {}),
  };
}, 120_000);

afterAll(async () => {
  if (!env) return;
  await Promise.all([
    ...Object.values(env.gw).map((g) => g.close()),
    env.dns.close(),
    env.publicDns.close(),
    env.silent.close(),
    env.ec2.close(),
    env.elbv2.close(),
    env.s3.close(),
    env.secrets.close(),
    env.nginx?.close(),
    env.haproxy?.close(),
  ]);
  env.files.remove();
});

/** `check` against a gateway by name, resolving api.example.com through the local DNS server. */
function at(gateway: Gateway, path = '/widgets', host = 'api.example.com'): string[] {
  return [`https://${host}:${gateway.port}${path}`, '--resolver', env.dns.address, '--ca', env.files.ca];
}

const creds = (id: IdentityFiles) => ['--cert', id.cert, '--key', id.key];

interface Expected {
  readonly exit: 0 | 1 | 2 | 3;
  /** Checks that must fail, with their code. */
  readonly failing?: readonly (readonly [CheckId, ProbeCode])[];
  /** Checks that must pass. */
  readonly passing?: readonly CheckId[];
  /**
   * Timeouts honoured: each named check ends within `ms` (its --timeout plus a margin for a busy
   * machine); the wall time, with Node's start-up, stays far below the servers' 20 s delays.
   */
  readonly bounded?: { readonly checks: readonly CheckId[]; readonly ms: number };
  readonly extra?: (result: ProbeResult, run: CliRun) => void;
}

interface Scenario extends Expected {
  readonly name: string;
  readonly args: () => string[];
  /** A server binary the scenario needs; without it the scenario is skipped with a printed reason. */
  readonly requires?: 'nginx' | 'haproxy';
}

const allPass: CheckId[] = [
  'dns.resolve',
  'tcp.connect',
  'tls.server',
  'client-cert.inspect',
  'tls.no-client-cert',
  'tls.client-cert',
  'http.response',
];

function check(result: ProbeResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} in the result`);
  return found;
}

const scenarios: Scenario[] = [
  {
    name: 'valid certificate against the gateway: every check passes',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--crl',
      env.files.crl,
      '--trust-store',
      env.files.trustStore,
      '--revoked-cert',
      env.ids.revoked.cert,
      '--revoked-key',
      env.ids.revoked.key,
    ],
    exit: 0,
    passing: [...allPass, 'revocation.crl', 'revocation.enforced'],
    extra: (result) => {
      expect(result.verdict).toBe('pass');
      expect(check(result, 'vpce.state').status).toBe('skip');
      expect(check(result, 'client-cert.inspect').details.predictedAlbStatus).toBe('Success');
      const phases = check(result, 'http.response').details.phases as Record<string, number>;
      for (const phase of ['dns', 'connect', 'tls', 'firstByte', 'total'])
        expect(phases[phase]).toBeTypeOf('number');
      expect(check(result, 'http.response').details.requestId).toBeTypeOf('string');
      expect(env.gw.verify.connectionLog.some((e) => e.tlsVerifyStatus === 'Success')).toBe(true);
    },
  },
  {
    name: 'no enforcement (passthrough): MTLS_NOT_ENFORCED',
    args: () => [
      ...at(env.gw.passthrough),
      ...creds(env.ids.valid),
      '--revoked-cert',
      env.ids.revoked.cert,
      '--revoked-key',
      env.ids.revoked.key,
    ],
    exit: 1,
    failing: [
      ['tls.no-client-cert', 'MTLS_NOT_ENFORCED'],
      ['revocation.enforced', 'REVOCATION_NOT_ENFORCED'],
    ],
    passing: ['tls.client-cert', 'http.response'],
  },
  {
    name: 'revoked certificate (TLS 1.3): MTLS_REJECTED after the handshake and CLIENT_CERT_REVOKED',
    args: () => [...at(env.gw.verify), ...creds(env.ids.revoked), '--crl', env.files.crl],
    exit: 1,
    failing: [
      ['tls.client-cert', 'MTLS_REJECTED'],
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
    ],
    extra: (result) => {
      const rejected = check(result, 'tls.client-cert');
      expect(rejected.details.protocol).toBe('TLSv1.3');
      // The gateway refuses with an alert (its default style), sent after the client's Finished.
      expect(rejected.details.signal).toBe('alert');
      expect(rejected.details.alert).toBe('certificate_revoked');
      expect(rejected.details.predictedAlbStatus).toBe('Failed:ClientCertCrlHit');
      expect(rejected.hint).toMatch(/CRL/);
      expect(check(result, 'http.response').status).toBe('skip');
    },
  },
  {
    name: 'foreign CA: CLIENT_CERT_UNTRUSTED offline and MTLS_REJECTED online',
    args: () => [...at(env.gw.verify), ...creds(env.ids.foreignCa), '--trust-store', env.files.trustStore],
    exit: 1,
    failing: [
      ['client-cert.inspect', 'CLIENT_CERT_UNTRUSTED'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
    extra: (result) =>
      expect(check(result, 'tls.client-cert').details.predictedAlbStatus).toBe('Failed:ClientCertUntrusted'),
  },
  {
    name: 'expired client certificate: CLIENT_CERT_EXPIRED',
    args: () => [...at(env.gw.verify), ...creds(env.ids.expired)],
    exit: 1,
    failing: [
      ['client-cert.inspect', 'CLIENT_CERT_EXPIRED'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
  },
  {
    name: 'client certificate not yet valid: CLIENT_CERT_NOT_YET_VALID',
    args: () => [...at(env.gw.verify), ...creds(env.ids.notYetValid)],
    exit: 1,
    failing: [
      ['client-cert.inspect', 'CLIENT_CERT_NOT_YET_VALID'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
  },
  {
    name: 'serverAuth-only EKU: CLIENT_CERT_PURPOSE_INVALID',
    args: () => [...at(env.gw.verify), ...creds(env.ids.serverAuthOnly)],
    exit: 1,
    failing: [
      ['client-cert.inspect', 'CLIENT_CERT_PURPOSE_INVALID'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
  },
  {
    name: 'RSA 1024 key: CLIENT_CERT_TYPE_UNSUPPORTED',
    args: () => [...at(env.gw.verify), ...creds(env.ids.rsa1024)],
    exit: 1,
    failing: [['client-cert.inspect', 'CLIENT_CERT_TYPE_UNSUPPORTED']],
    extra: (result) => expect(check(result, 'tls.client-cert').status).not.toBe('pass'),
  },
  {
    name: 'chain too deep: CLIENT_CERT_CHAIN_TOO_DEEP',
    args: () => [...at(env.gw.verify), ...creds(env.ids.chainTooDeep), '--trust-store', env.files.trustStore],
    exit: 1,
    failing: [
      ['client-cert.inspect', 'CLIENT_CERT_CHAIN_TOO_DEEP'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
  },
  {
    name: 'key that does not match the certificate: CLIENT_CERT_KEY_MISMATCH, nothing presented',
    args: () => [...at(env.gw.verify), ...creds(env.ids.mismatch)],
    exit: 1,
    failing: [['client-cert.inspect', 'CLIENT_CERT_KEY_MISMATCH']],
    passing: ['tls.server', 'tls.no-client-cert'],
    extra: (result) => expect(check(result, 'tls.client-cert').status).toBe('skip'),
  },
  {
    name: 'key that does not match, TLS 1.2: tls.server passes without blaming a certificate it never sent',
    args: () => [...at(env.gw.tls12Reset), ...creds(env.ids.mismatch)],
    exit: 1,
    failing: [['client-cert.inspect', 'CLIENT_CERT_KEY_MISMATCH']],
    passing: ['tls.server', 'tls.no-client-cert'],
    extra: (result) => {
      const server = check(result, 'tls.server').summary;
      expect(server).toContain('without a client certificate');
      expect(server).not.toContain('refused our client certificate');
    },
  },
  {
    name: 'CRL from s3:// (local S3): the revoked serial is found, CLIENT_CERT_REVOKED',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.revoked),
      '--crl',
      's3://consumer-crls/intermediate.crl',
      '--s3-endpoint',
      env.s3.endpoint,
    ],
    exit: 1,
    failing: [['revocation.crl', 'CLIENT_CERT_REVOKED']],
  },
  {
    name: 'CRL from a URL (a pre-signed location): fresh and valid for a valid certificate',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--crl',
      env.s3.presign('consumer-crls', 'intermediate.crl'),
    ],
    exit: 0,
    passing: [...allPass, 'revocation.crl'],
    extra: (result) =>
      expect(check(result, 'revocation.crl').summary).toMatch(
        /\(1 revoked entry, next update \d{4}-\d\d-\d\dT[\d:.]+Z\)/,
      ),
  },
  {
    name: 'CRL location that cannot be fetched: CRL_UNAVAILABLE',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--crl',
      's3://consumer-crls/missing.crl',
      '--s3-endpoint',
      env.s3.endpoint,
    ],
    exit: 1,
    failing: [['revocation.crl', 'CRL_UNAVAILABLE']],
    passing: ['tls.client-cert', 'http.response'],
  },
  {
    name: 'https CRL location that refuses: CRL_UNAVAILABLE with the reason, not just "fetch failed"',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--crl',
      `https://127.0.0.1:${env.refusedPort}/intermediate.crl`,
    ],
    exit: 1,
    failing: [['revocation.crl', 'CRL_UNAVAILABLE']],
    extra: (result) => expect(check(result, 'revocation.crl').summary).toContain('ECONNREFUSED'),
  },
  {
    name: 'stale CRL: CRL_STALE',
    args: () => [...at(env.gw.verify), ...creds(env.ids.valid), '--crl', env.files.staleCrl],
    exit: 1,
    failing: [['revocation.crl', 'CRL_STALE']],
    passing: ['tls.client-cert', 'http.response'],
  },
  {
    name: 'server certificate for another name: TLS_HOSTNAME_MISMATCH',
    args: () => [...at(env.gw.verify, '/widgets', 'other.example.com'), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['tls.server', 'TLS_HOSTNAME_MISMATCH']],
    extra: (result) => {
      expect(check(result, 'tls.client-cert').status).toBe('skip');
      // The reader sees which names the certificate does cover, not only an error code.
      expect(check(result, 'tls.server').summary).toMatch(
        /does not cover other\.example\.com: .*DNS:api\.example\.com/,
      );
    },
  },
  {
    name: 'expired server certificate: TLS_SERVER_EXPIRED',
    args: () => [...at(env.gw.expiredServer), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['tls.server', 'TLS_SERVER_EXPIRED']],
  },
  {
    name: 'a CNAME to the API name: the chain and TTLs are reported, SNI follows --servername',
    args: () => [
      ...at(env.gw.verify, '/widgets', 'alias.example.com'),
      '--servername',
      'api.example.com',
      ...creds(env.ids.valid),
    ],
    exit: 0,
    passing: allPass,
    extra: (result) => {
      const dns = check(result, 'dns.resolve').details as {
        cnameChain: string[];
        addresses: { ttl?: number }[];
      };
      expect(dns.cnameChain).toEqual(['api.example.com']);
      expect(dns.addresses[0]?.ttl).toBeTypeOf('number');
      expect(result.target).toMatchObject({ host: 'alias.example.com', servername: 'api.example.com' });
    },
  },
  {
    name: 'NXDOMAIN: DNS_NXDOMAIN, TCP and TLS skipped',
    args: () => [...at(env.gw.verify, '/widgets', 'missing.example.com'), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['dns.resolve', 'DNS_NXDOMAIN']],
    extra: (result) => {
      for (const id of ['tcp.connect', 'tls.server', 'tls.client-cert', 'http.response'] as const) {
        expect(check(result, id).status).toBe('skip');
      }
      expect(check(result, 'client-cert.inspect').status).toBe('pass');
    },
  },
  {
    name: 'resolver that never answers: DNS_TIMEOUT within --timeout',
    args: () => [...at(env.gw.verify, '/widgets', 'silent.example.com'), '--timeout', '800'],
    exit: 1,
    failing: [['dns.resolve', 'DNS_TIMEOUT']],
    bounded: { checks: ['dns.resolve'], ms: 800 + 500 },
  },
  {
    name: 'public address: DNS_PUBLIC_ADDRESS (dialled on loopback through --connect-to)',
    args: () => [
      `https://api.example.com:${env.gw.verify.port}/widgets`,
      '--resolver',
      env.publicDns.address,
      '--connect-to',
      `127.0.0.1:${env.gw.verify.port}`,
      '--ca',
      env.files.ca,
      ...creds(env.ids.valid),
    ],
    exit: 1,
    failing: [['dns.resolve', 'DNS_PUBLIC_ADDRESS']],
    passing: ['tcp.connect', 'tls.server', 'tls.client-cert', 'http.response'],
    extra: (result) => {
      const addresses = check(result, 'dns.resolve').details.addresses as {
        address: string;
        scope: string;
      }[];
      expect(addresses).toEqual([expect.objectContaining({ address: '203.0.113.10', scope: 'public' })]);
      expect(result.target.servername).toBe('api.example.com');
    },
  },
  {
    name: 'a name that does not resolve here, with --connect-to (a canary without private DNS): a warning, the path passes',
    args: () => [
      `https://nowhere.example.com:${env.gw.verify.port}/widgets`,
      '--resolver',
      env.dns.address,
      '--servername',
      'api.example.com',
      '--connect-to',
      `127.0.0.1:${env.gw.verify.port}`,
      '--ca',
      env.files.ca,
      ...creds(env.ids.valid),
    ],
    exit: 0,
    passing: ['tcp.connect', 'tls.server', 'tls.no-client-cert', 'tls.client-cert', 'http.response'],
    extra: (result) => {
      expect(check(result, 'dns.resolve')).toMatchObject({ status: 'warn', code: 'DNS_NXDOMAIN' });
      expect(check(result, 'dns.resolve').summary).toContain('--connect-to dials 127.0.0.1');
    },
  },
  {
    name: 'public address accepted with --allow-public',
    args: () => [
      `https://api.example.com:${env.gw.verify.port}/widgets`,
      '--resolver',
      env.publicDns.address,
      '--connect-to',
      `127.0.0.1:${env.gw.verify.port}`,
      '--allow-public',
      '--ca',
      env.files.ca,
      ...creds(env.ids.valid),
    ],
    exit: 0,
    passing: allPass,
  },
  {
    name: 'a port that refuses: TCP_REFUSED',
    args: () => [
      `https://127.0.0.1:${env.refusedPort}/widgets`,
      '--ca',
      env.files.ca,
      ...creds(env.ids.valid),
    ],
    exit: 1,
    failing: [['tcp.connect', 'TCP_REFUSED']],
    extra: (result) => expect(check(result, 'tls.server').status).toBe('skip'),
  },
  {
    name: 'one AZ of two refuses: TCP_REFUSED naming that address only',
    args: () => [
      ...at(env.gw.verify, '/widgets', 'two-az.example.com'),
      '--servername',
      'api.example.com',
      ...creds(env.ids.valid),
    ],
    exit: 1,
    failing: [['tcp.connect', 'TCP_REFUSED']],
    extra: (result) => {
      const tcp = check(result, 'tcp.connect');
      expect(tcp.summary).toContain('127.0.0.2');
      expect(tcp.summary).not.toContain('127.0.0.1:');
      expect(tcp.details.addresses).toEqual([
        expect.objectContaining({ address: '127.0.0.1', ok: true }),
        expect.objectContaining({ address: '127.0.0.2', ok: false, error: 'ECONNREFUSED' }),
      ]);
    },
  },
  {
    name: 'an address that never answers: the TLS step times out within --timeout',
    args: () => [
      `https://127.0.0.1:${env.silent.port}/widgets`,
      '--ca',
      env.files.ca,
      '--timeout',
      '1000',
      ...creds(env.ids.valid),
    ],
    exit: 1,
    failing: [['tls.server', 'TIMEOUT_CONNECT']],
    passing: ['tcp.connect'],
    bounded: { checks: ['tls.server'], ms: 1000 + 500 },
  },
  {
    name: '403 from the resource policy: HTTP_ACCESS_DENIED with the request id',
    args: () => [...at(env.gw.denied), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['http.response', 'HTTP_ACCESS_DENIED']],
    passing: ['tls.client-cert'],
    extra: (result) => {
      const http = check(result, 'http.response');
      expect(http.details.status).toBe(403);
      expect(http.details.requestId).toBeTypeOf('string');
      expect(http.details.errorType).toBe('AccessDeniedException');
    },
  },
  {
    name: '403 for a missing route: HTTP_MISSING_AUTH_TOKEN',
    args: () => [...at(env.gw.verify, '/no-such-route'), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['http.response', 'HTTP_MISSING_AUTH_TOKEN']],
  },
  {
    name: 'an expected 403 passes with --expect-status 403',
    args: () => [...at(env.gw.verify, '/no-such-route'), ...creds(env.ids.valid), '--expect-status', '403'],
    exit: 0,
    passing: ['http.response'],
  },
  {
    name: '--method POST with --header, --data and --expect-status 201: the request is sent as given',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--method',
      'post',
      '--header',
      'Content-Type: application/json',
      '--header',
      'X-Trace-Id: probe-1',
      '--data',
      '{"value":"1.25"}',
      '--expect-status',
      '201',
    ],
    exit: 0,
    passing: allPass,
    extra: (result) => expect(check(result, 'http.response').summary).toMatch(/^POST \/widgets → 201/),
  },
  {
    name: '502 from the load balancer: HTTP_GATEWAY_ERROR',
    args: () => [...at(env.gw.alb502), ...creds(env.ids.valid)],
    exit: 1,
    failing: [['http.response', 'HTTP_GATEWAY_ERROR']],
  },
  {
    name: 'TLS 1.2-only server: passes on TLS 1.2',
    args: () => [...at(env.gw.tls12), ...creds(env.ids.valid)],
    exit: 0,
    passing: allPass,
    extra: (result) => expect(check(result, 'tls.server').details.protocol).toBe('TLSv1.2'),
  },
  {
    name: 'TLS 1.2-only server, revoked certificate: refused during the handshake',
    args: () => [...at(env.gw.tls12), ...creds(env.ids.revoked), '--crl', env.files.crl],
    exit: 1,
    failing: [
      ['tls.client-cert', 'MTLS_REJECTED'],
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
    ],
    passing: ['tls.server'],
    extra: (result) => expect(check(result, 'tls.client-cert').details.protocol).toBe('TLSv1.2'),
  },
  {
    name: 'TLS 1.2-only server that resets on a revoked certificate: the refusal, not a TLS failure',
    args: () => [...at(env.gw.tls12Reset), ...creds(env.ids.revoked), '--crl', env.files.crl],
    exit: 1,
    failing: [
      ['tls.client-cert', 'MTLS_REJECTED'],
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
    ],
    passing: ['tls.server', 'tls.no-client-cert'],
    extra: (result) => {
      expect(check(result, 'tls.server').details.protocol).toBe('TLSv1.2');
      expect(check(result, 'tls.client-cert').details.signal).toBe('reset');
    },
  },
  {
    name: 'revoked certificate, no CRL given: the hint reads the refusal alert',
    args: () => [...at(env.gw.verify), ...creds(env.ids.revoked)],
    exit: 1,
    failing: [['tls.client-cert', 'MTLS_REJECTED']],
    extra: (result) => {
      expect(check(result, 'client-cert.inspect').details.predictedAlbStatus).toBe('Success');
      expect(check(result, 'tls.client-cert').hint).toMatch(/^the alert certificate_revoked says: .*CRL/);
    },
  },
  {
    name: 'refused by reset with nothing to explain it: the hint says what to give the probe',
    args: () => [...at(env.gw.tls12Reset), ...creds(env.ids.revoked)],
    exit: 1,
    failing: [['tls.client-cert', 'MTLS_REJECTED']],
    extra: (result) => {
      const hint = check(result, 'tls.client-cert').hint ?? '';
      expect(hint).toContain('--trust-store');
      expect(hint).toContain('tls_verify_status');
      expect(hint).not.toContain('mtls-probe check shows why');
    },
  },
  {
    name: 'TLS 1.3-only server: passes on TLS 1.3',
    args: () => [...at(env.gw.tls13), ...creds(env.ids.valid)],
    exit: 0,
    passing: allPass,
    extra: (result) => expect(check(result, 'tls.server').details.protocol).toBe('TLSv1.3'),
  },
  {
    name: 'server that holds its refusal (blinding): silence is inconclusive, never a pass or a refusal',
    args: () => [
      ...at(env.gw.slowClose),
      ...creds(env.ids.revoked),
      '--timeout',
      '1000',
      '--response-timeout',
      '1000',
    ],
    // http.response then fails: no answer within the response deadline.
    exit: 1,
    // Two silent exchanges (no certificate, revoked certificate), each ended by the response
    // deadline long before the server's 20 s (the margin is for a loaded machine).
    bounded: { checks: ['tls.no-client-cert', 'tls.client-cert'], ms: 1000 + 4000 },
    extra: (result) => {
      for (const id of ['tls.no-client-cert', 'tls.client-cert'] as const) {
        expect(check(result, id)).toMatchObject({ status: 'warn', code: 'MTLS_UNCONFIRMED' });
      }
      expect(check(result, 'http.response')).toMatchObject({ status: 'fail', code: 'TIMEOUT_HEADERS' });
    },
  },
  {
    name: 'VPC endpoint pending acceptance: VPCE_NOT_AVAILABLE',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0pending',
      '--ec2-endpoint',
      env.ec2.endpoint,
    ],
    exit: 1,
    failing: [['vpce.state', 'VPCE_NOT_AVAILABLE']],
    passing: ['tls.client-cert'],
  },
  {
    name: 'VPC endpoint security group without 443: VPCE_SG_BLOCKS_443',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0nosg',
      '--ec2-endpoint',
      env.ec2.endpoint,
    ],
    exit: 1,
    failing: [['vpce.state', 'VPCE_SG_BLOCKS_443']],
  },
  {
    name: 'VPC endpoint security group admits 443 only from another subnet: VPCE_SG_BLOCKS_443 naming this host',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0subnet',
      '--ec2-endpoint',
      env.ec2.endpoint,
    ],
    exit: 1,
    failing: [['vpce.state', 'VPCE_SG_BLOCKS_443']],
    extra: (result) => {
      expect(check(result, 'vpce.state').summary).toContain('from 127.0.0.1');
      expect(check(result, 'vpce.state').details.thisHost).toBe('127.0.0.1');
    },
  },
  {
    name: 'VPC endpoint whose security group cannot be described: VPCE_LOOKUP_FAILED naming the call',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0nogroup',
      '--ec2-endpoint',
      env.ec2.endpoint,
    ],
    exit: 1,
    failing: [['vpce.state', 'VPCE_LOOKUP_FAILED']],
    passing: ['tcp.connect', 'http.response'],
    extra: (result) => {
      const vpce = check(result, 'vpce.state');
      expect(vpce.summary).toMatch(/^DescribeSecurityGroups for vpce-0nogroup failed: .*sg-gone/);
      expect(vpce.hint).toContain('ec2:DescribeSecurityGroups');
      expect(vpce.details.api).toBe('DescribeSecurityGroups');
    },
  },
  {
    name: 'EC2 API that never answers: VPCE_LOOKUP_FAILED within --timeout, not a hang',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0ok',
      '--ec2-endpoint',
      `http://127.0.0.1:${env.silent.port}`,
      '--timeout',
      '800',
    ],
    exit: 1,
    failing: [['vpce.state', 'VPCE_LOOKUP_FAILED']],
    passing: ['tcp.connect', 'http.response'],
    // The bound includes loading the EC2 client module on a busy machine; a hang would be minutes.
    bounded: { checks: ['vpce.state'], ms: 800 + 4000 },
    extra: (result) => {
      expect(check(result, 'vpce.state').summary).toContain('no answer within 800 ms');
      expect(check(result, 'vpce.state').hint).toMatch(/EC2 interface endpoint or a NAT/);
    },
  },
  {
    name: 'VPC endpoint available, addresses match, 443 admitted: passes',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.valid),
      '--vpc-endpoint-id',
      'vpce-0ok',
      '--ec2-endpoint',
      env.ec2.endpoint,
    ],
    exit: 0,
    passing: [...allPass, 'vpce.state'],
  },
  {
    name: 'trust store read through ELBv2 lists the certificate as revoked',
    args: () => [
      ...at(env.gw.verify),
      ...creds(env.ids.revoked),
      '--trust-store-arn',
      trustStoreArn,
      '--elbv2-endpoint',
      env.elbv2.endpoint,
    ],
    exit: 1,
    failing: [
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
      ['tls.client-cert', 'MTLS_REJECTED'],
    ],
    extra: (result) => {
      const inspect = check(result, 'client-cert.inspect');
      expect(inspect.details.predictedAlbStatus).toBe('Failed:ClientCertCrlHit');
      expect(inspect.details.trustStore).toMatchObject({
        source: trustStoreArn,
        caCount: 2,
        revokedEntries: 1,
      });
      const crls = check(result, 'revocation.crl').details.crls as { lists: { nextUpdate: string }[] }[];
      expect(crls).toHaveLength(1);
      expect(Date.parse(crls[0]?.lists[0]?.nextUpdate ?? '')).toBeGreaterThan(Date.now());
      // People read the text: the trust store's facts are in the summary, not only in the JSON.
      expect(inspect.summary).toMatch(/trust store consumer-ts: 2 CAs, 1 revoked entry$/);
    },
  },
  {
    name: 'credentials from the local Secrets Manager: passes',
    args: () => [
      ...at(env.gw.verify),
      '--secret-id',
      'consumer/api-client',
      '--secrets-endpoint',
      env.secrets.endpoint,
    ],
    exit: 0,
    passing: allPass,
    extra: (result) =>
      expect(check(result, 'client-cert.inspect').details.source).toBe(
        'secretsmanager:consumer/api-client@AWSCURRENT',
      ),
  },
  {
    name: 'encrypted key with --passphrase: passes, the passphrase is never printed',
    args: () => [...at(env.gw.verify), ...creds(env.ids.encrypted), '--passphrase', passphrase],
    exit: 0,
    passing: allPass,
  },
  {
    name: 'a warning (expiry within --warn-days) exits 3 under --strict',
    args: () => [...at(env.gw.verify), ...creds(env.ids.valid), '--warn-days', '5000', '--strict'],
    exit: 3,
    extra: (result) => {
      expect(result.verdict).toBe('warn');
      expect(check(result, 'client-cert.inspect')).toMatchObject({
        status: 'warn',
        code: 'CLIENT_CERT_EXPIRING',
      });
    },
  },
  {
    name: 'nginx, valid certificate: passes',
    requires: 'nginx',
    args: () => [`${env.nginx?.url}/widgets`, '--ca', env.files.ca, ...creds(env.ids.valid)],
    exit: 0,
    passing: allPass,
  },
  {
    name: 'nginx, revoked certificate: MTLS_REJECTED and CLIENT_CERT_REVOKED',
    requires: 'nginx',
    args: () => [
      `${env.nginx?.url}/widgets`,
      '--ca',
      env.files.ca,
      ...creds(env.ids.revoked),
      '--crl',
      env.files.crl,
    ],
    exit: 1,
    failing: [
      ['tls.client-cert', 'MTLS_REJECTED'],
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
    ],
    passing: ['tls.no-client-cert'],
    extra: (result) => {
      expect(check(result, 'tls.client-cert').details).toMatchObject({
        signal: 'http',
        reason: 'certificate-error',
      });
      expect(check(result, 'tls.no-client-cert').summary).toContain('at HTTP level');
    },
  },
  {
    name: 'HAProxy, valid certificate: passes',
    requires: 'haproxy',
    args: () => [`${env.haproxy?.url}/widgets`, '--ca', env.files.ca, ...creds(env.ids.valid)],
    exit: 0,
    passing: allPass,
  },
  {
    name: 'HAProxy, revoked certificate: MTLS_REJECTED and CLIENT_CERT_REVOKED',
    requires: 'haproxy',
    args: () => [
      `${env.haproxy?.url}/widgets`,
      '--ca',
      env.files.ca,
      ...creds(env.ids.revoked),
      '--crl',
      env.files.crl,
    ],
    exit: 1,
    failing: [
      ['tls.client-cert', 'MTLS_REJECTED'],
      ['revocation.crl', 'CLIENT_CERT_REVOKED'],
    ],
  },
];

function assertScenario(s: Scenario, run: CliRun): void {
  const where = `${s.name}\nstdout: ${run.stdout.slice(0, 4000)}\nstderr: ${run.stderr}`;
  expect(run.status, where).toBe(s.exit);
  const result = JSON.parse(run.stdout) as ProbeResult;
  expect(result.schemaVersion).toBe(1);
  expect(result.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
  for (const [id, code] of s.failing ?? []) {
    expect(check(result, id), where).toMatchObject({ status: 'fail', code });
    expect(check(result, id).hint, where).toBeTypeOf('string');
  }
  for (const id of s.passing ?? []) expect(check(result, id).status, `${id} in ${where}`).toBe('pass');
  if (s.bounded !== undefined) {
    for (const id of s.bounded.checks)
      expect(check(result, id).durationMs, `${id} in ${where}`).toBeLessThan(s.bounded.ms);
    expect(run.wallMs).toBeLessThan(12_000);
  }
  const keys = env.files.secrets;
  assertNoKeyMaterial(run.stdout + run.stderr, keys, [passphrase]);
  // The other formats render the same result: none may add key material either.
  for (const format of ['text', 'junit', 'emf'] as const) {
    assertNoKeyMaterial(renderResult(result, format), keys, [passphrase]);
  }
  s.extra?.(result, run);
}

describe.concurrent('mtls-probe check, end to end through the built CLI', () => {
  for (const s of scenarios) {
    const missing = s.requires !== undefined && findBinary(s.requires) === undefined;
    if (missing) console.warn(`skipping "${s.name}": ${s.requires} is not installed`);
    test.skipIf(missing)(s.name, async () => {
      const run = await runCli(['check', ...s.args(), '--format', 'json']);
      assertScenario(s, run);
    });
  }
});
