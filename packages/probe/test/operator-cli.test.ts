import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestPki,
  type Gateway,
  startGateway,
  type TestPki,
  toEncryptedPkcs8Pem,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeReport } from '../src/report.ts';
import { PROBE_VERSION } from '../src/version.ts';
import { ensureBuilt, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type IdentityFiles, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { parseExposition } from './helpers/prometheus-text.ts';
import { startSilentServer } from './helpers/servers.ts';

const passphrase = 'correct horse 7';
let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let advertising: Gateway;
let valid: IdentityFiles;
let revoked: IdentityFiles;
let encrypted: IdentityFiles;
let foreignCa: string;

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  files = writePki(pki);
  valid = files.identity('valid', pki.clients.valid);
  revoked = files.identity('revoked', pki.clients.revoked);
  encrypted = {
    cert: files.write('enc.pem', pki.clients.valid.certPem + pki.clients.valid.chainPem),
    key: files.write('enc.key', toEncryptedPkcs8Pem(pki.clients.valid.keyPem, passphrase)),
  };
  foreignCa = files.write('foreign-ca.pem', pki.foreignRoot.certPem);
  const trustStore = { caPem: pki.trustStorePem, crlPems: [pki.crlPem] };
  [gateway, advertising] = await Promise.all([
    startGateway({ mode: 'verify', server: pki.server, trustStore }),
    startGateway({ mode: 'verify', server: pki.server, trustStore, advertiseTrustStoreCaNames: true }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.close(), advertising?.close()]);
  files?.remove();
});

const url = (g: Gateway = gateway) => `https://127.0.0.1:${g.port}/widgets`;
const identity = (i: IdentityFiles) => ['--cert', i.cert, '--key', i.key];
const json = (stdout: string) => JSON.parse(stdout) as ProbeReport;

/** Runs a shell command line the probe printed, as a user would paste it. */
function shell(line: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { timeout: 20_000, cwd: files.dir }, (error, stdout, stderr) =>
      resolve({
        status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
        stderr,
      }),
    );
  });
}

/** The reproduce commands the text report printed for one check. */
function reproduceLines(stdout: string, check: string): string[] {
  const section = stdout.split('\nreproduce:\n')[1] ?? '';
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  ${check} `) || l === `  ${check}:`);
  if (start === -1) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('    ')) break;
    out.push(l.trim());
  }
  return out;
}

describe.concurrent('mtls-probe operator habits, end to end against the gateway', { timeout: 90_000 }, () => {
  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(PROBE_VERSION).toBe(pkg.version);
    const run = await runCli(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`mtls-probe ${PROBE_VERSION}`);
  });

  test('-v shows each address: TCP, TLS, the server chain with expiry, the CertificateRequest CA names, HTTP', async () => {
    const run = await runCli(['check', url(advertising), '--ca', files.ca, ...identity(valid), '-v']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const timeline = run.stdout.split('timeline (-v):\n')[1] ?? '';
    expect(timeline).toContain(`127.0.0.1:${advertising.port}`);
    expect(timeline).toMatch(/tcp {3}connected in/);
    expect(timeline).toMatch(/tls {3}TLSv1\.[23] \S+ ALPN/);
    // The whole chain the server sent, leaf first, each with its expiry.
    expect(timeline).toMatch(
      /chain 0 CN=localhost, O=mtls-link testkit \(issuer CN=mtls-link test intermediate CA.*expires \d{4}-\d\d-\d\dT.* \(\d+ days\)/,
    );
    expect(timeline).toMatch(/ {10}1 CN=mtls-link test intermediate CA/);
    expect(timeline).toContain(
      'acceptable CA names (CertificateRequest): CN=mtls-link test root CA, O=mtls-link testkit; CN=mtls-link test intermediate CA, O=mtls-link testkit',
    );
    expect(timeline).toMatch(/http {2}status 200/);
    assertNoKeyMaterial(run.stdout + run.stderr, files.secrets);
  });

  test('-v says when the server names no CAs in its CertificateRequest, and JSON carries the names', async () => {
    const run = await runCli([
      'check',
      url(),
      '--ca',
      files.ca,
      ...identity(valid),
      '-v',
      '--format',
      'json',
    ]);
    expect(run.status).toBe(0);
    const report = json(run.stdout);
    expect(report.certificateRequests).toEqual([{ address: '127.0.0.1', port: gateway.port, caNames: [] }]);
  });

  test('a rejected client certificate prints curl and openssl commands that, run, are refused too', async () => {
    const run = await runCli(['check', url(), '--ca', files.ca, ...identity(revoked)]);
    expect(run.status).toBe(1);
    const commands = reproduceLines(run.stdout, 'tls.client-cert');
    const curl = commands.find((c) => c.startsWith('curl '));
    const openssl = commands.find((c) => c.includes('openssl s_client'));
    expect(curl, run.stdout).toBeDefined();
    expect(openssl, run.stdout).toBeDefined();
    expect(curl).toContain(`--cert ${revoked.cert}`);
    assertNoKeyMaterial(run.stdout, files.secrets);
    // The same verdict: the server refuses this certificate to curl and to openssl alike ...
    const byCurl = await shell(curl ?? '');
    expect(byCurl.status, byCurl.stderr).not.toBe(0);
    expect(byCurl.stdout).not.toContain('200');
    const byOpenssl = await shell(openssl ?? '');
    expect(`${byOpenssl.stdout}${byOpenssl.stderr}`).not.toMatch(/HTTP\/1\.1 200/);
    // ... and the same command with the valid identity gets through, so the refusal is the certificate's.
    const control = await shell(
      (curl ?? '').replace(revoked.cert, valid.cert).replace(revoked.key, valid.key),
    );
    expect(control.status, control.stderr).toBe(0);
    expect(control.stdout.trim()).toBe('200');
  });

  test('an untrusted server certificate: the printed curl fails to verify it too (exit 60)', async () => {
    const run = await runCli(['check', url(), '--ca', foreignCa, ...identity(valid)]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('TLS_SERVER_UNTRUSTED');
    const commands = reproduceLines(run.stdout, 'tls.server');
    const curl = commands.find((c) => c.startsWith('curl ')) ?? '';
    const byCurl = await shell(curl);
    expect(byCurl.status, byCurl.stderr).toBe(60);
    const openssl = commands.find((c) => c.startsWith('openssl s_client')) ?? '';
    const byOpenssl = await shell(openssl);
    expect(byOpenssl.status).not.toBe(0);
    expect(`${byOpenssl.stdout}${byOpenssl.stderr}`).toMatch(/verify error|certificate verify failed/i);
  });

  test('--insecure continues past an untrusted server, and every format says so', async () => {
    const base = ['check', url(), '--ca', foreignCa, ...identity(valid), '--insecure'];
    const [text, doc, prom, junit] = await Promise.all([
      runCli(base),
      runCli([...base, '--format', 'json']),
      runCli([...base, '--format', 'prometheus']),
      runCli([...base, '--format', 'junit']),
    ]);
    expect(text.status, text.stdout).toBe(0);
    expect(text.stdout).toMatch(/WARN {2}tls\.server .*TLS_SERVER_UNTRUSTED/);
    expect(text.stdout).toMatch(/ok {4}http\.response/);
    expect(text.stdout).toContain('INSECURE: --insecure was given');
    const report = json(doc.stdout);
    expect(report.insecure).toBe(true);
    expect(report.checks.find((c) => c.id === 'http.response')?.status).toBe('pass');
    expect(parseExposition(prom.stdout).one('probe_insecure').value).toBe(1);
    expect(junit.stdout).toContain('<property name="insecure" value="true"/>');
    // Without the flag the same run fails at tls.server and never sends the request.
    const strict = json(
      (await runCli(['check', url(), '--ca', foreignCa, ...identity(valid), '--format', 'json'])).stdout,
    );
    expect(strict.insecure).toBeUndefined();
    expect(strict.checks.find((c) => c.id === 'http.response')?.status).toBe('skip');
  });

  test("--connect-to in curl's HOST1:PORT1:HOST2:PORT2 form dials HOST2:PORT2 for the URL's host", async () => {
    const run = await runCli([
      'check',
      `https://api.example.com:${gateway.port}/widgets`,
      '--ca',
      files.ca,
      ...identity(valid),
      '--connect-to',
      `api.example.com:${gateway.port}:127.0.0.1:${gateway.port}`,
      '--format',
      'json',
    ]);
    const report = json(run.stdout);
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    expect(report.checks.find((c) => c.id === 'tcp.connect')?.details.connectTo).toEqual({
      address: '127.0.0.1',
      port: gateway.port,
    });
    // SNI and Host stay api.example.com (the name resolves nowhere here, which dns.resolve reports).
    expect(status('tls.server')).toBe('pass');
    expect(status('http.response')).toBe('pass');
    // A pair for another host does not apply, as in curl: the URL host itself is dialled (and does not resolve here).
    const other = await runCli([
      'check',
      `https://api.example.com:${gateway.port}/widgets`,
      '--ca',
      files.ca,
      '--connect-to',
      `other.example.com:443:127.0.0.1:${gateway.port}`,
      '--resolver',
      '127.0.0.1:9',
      '--timeout',
      '500',
      '--format',
      'json',
    ]);
    expect(
      json(other.stdout).checks.find((c) => c.id === 'tcp.connect')?.details.connectTo ?? null,
    ).toBeNull();
  });

  test('--passphrase-env and --passphrase-file open an encrypted key; neither passphrase is printed', async () => {
    const file = files.write('passphrase.txt', `${passphrase}\n`);
    const [byEnv, byFile, missing] = await Promise.all([
      runCli(
        ['check', url(), '--ca', files.ca, ...identity(encrypted), '--passphrase-env', 'CLIENT_KEY_PASS'],
        { CLIENT_KEY_PASS: passphrase },
      ),
      runCli(['check', url(), '--ca', files.ca, ...identity(encrypted), '--passphrase-file', file]),
      runCli([
        'check',
        url(),
        '--ca',
        files.ca,
        ...identity(encrypted),
        '--passphrase-env',
        'NOT_SET_ANYWHERE',
      ]),
    ]);
    const cert = await runCli(['cert', encrypted.cert, '--key', encrypted.key, '--passphrase-file', file]);
    expect(cert.status, cert.stderr).toBe(0);
    expect(cert.stdout).toContain('CN=client valid');
    expect(byEnv.status, byEnv.stdout + byEnv.stderr).toBe(0);
    expect(byFile.status, byFile.stdout + byFile.stderr).toBe(0);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(
      '--passphrase-env: the environment variable NOT_SET_ANYWHERE is not set',
    );
    for (const run of [byEnv, byFile, missing])
      assertNoKeyMaterial(run.stdout + run.stderr, files.secrets, [passphrase]);
  });

  test('--max-time bounds the whole run: what finished is reported, the step that was running fails', async () => {
    const silent = await startSilentServer();
    try {
      const run = await runCli([
        'check',
        `https://127.0.0.1:${silent.port}/`,
        '--timeout',
        '20000',
        '--max-time',
        '3000',
        '--format',
        'json',
      ]);
      expect(run.status).toBe(1);
      const report = json(run.stdout);
      expect(report.deadline).toEqual({ maxTimeMs: 3000, reachedIn: 'tls.server' });
      expect(report.checks.find((c) => c.id === 'tcp.connect')?.status).toBe('pass');
      expect(report.checks.find((c) => c.id === 'tls.server')?.status).toBe('fail');
      expect(report.checks.find((c) => c.id === 'tls.server')?.summary).toContain('--max-time 3000 ms');
      expect(report.checks.find((c) => c.id === 'http.response')?.status).toBe('skip');
      // The deadline, not the 20 s step deadline, ended it.
      expect(report.durationMs).toBeLessThan(3000 + 1500);
    } finally {
      await silent.close();
    }
  });

  test('the JSON document is printed on exit 2 too, saying why the run could not start', async () => {
    const run = await runCli([
      'check',
      url(),
      '--cert',
      valid.cert,
      '--key',
      join(files.dir, 'missing.key'),
      '--format',
      'json',
    ]);
    expect(run.status).toBe(2);
    const report = json(run.stdout);
    expect(report.verdict).toBe('fail');
    expect(report.error?.code).toMatch(/^[A-Z_]+$/);
    expect(report.error?.message).toContain('missing.key');
    expect(report.checks.every((c) => c.status === 'skip')).toBe(true);
    expect(run.stderr).toContain(report.error?.code ?? '?');
  });

  test('--format prometheus: probe_success, duration, a gauge per check with status and code, both expiries', async () => {
    const [good, bad] = await Promise.all([
      runCli(['check', url(), '--ca', files.ca, ...identity(valid), '--format', 'prometheus']),
      runCli(['check', url(), '--ca', files.ca, ...identity(revoked), '--format', 'prometheus']),
    ]);
    expect(good.status).toBe(0);
    const metrics = parseExposition(good.stdout);
    expect(metrics.one('probe_success').value).toBe(1);
    expect(metrics.one('probe_duration_seconds').value).toBeGreaterThan(0);
    expect(metrics.one('probe_mtls_check', { check: 'tls.client-cert' }).labels).toEqual({
      check: 'tls.client-cert',
      status: 'pass',
      code: '',
    });
    expect(metrics.samples.filter((s) => s.name === 'probe_mtls_check')).toHaveLength(10);
    // The earliest of the chain is the leaf's here (the CAs outlive it).
    expect(metrics.one('probe_ssl_earliest_cert_expiry').value * 1000).toBe(
      Date.parse(new X509Certificate(pki.server.certPem).validTo),
    );
    expect(metrics.one('probe_client_cert_expiry').value * 1000).toBe(
      Date.parse(new X509Certificate(pki.clients.valid.certPem).validTo),
    );
    expect(metrics.one('probe_http_status_code').value).toBe(200);
    expect(metrics.types.get('probe_success')).toBe('gauge');
    expect(bad.status).toBe(1);
    const failed = parseExposition(bad.stdout);
    expect(failed.one('probe_success').value).toBe(0);
    expect(failed.one('probe_mtls_check', { check: 'tls.client-cert' })).toMatchObject({
      labels: { status: 'fail', code: 'MTLS_REJECTED' },
      value: 0,
    });
  });

  test('HTTPS_PROXY/HTTP_PROXY carry the AWS API calls; NO_PROXY exempts the endpoint', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    // A forward proxy that answers Secrets Manager itself: enough to see that the SDK went through it.
    const proxy = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'ResourceNotFoundException',
      });
      res.end(
        JSON.stringify({
          __type: 'ResourceNotFoundException',
          message: 'Secrets Manager cannot find the specified secret.',
        }),
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const endpoint = 'http://secrets.invalid:4566';
    try {
      const through = await runCli(
        ['check', url(), '--secret-id', 'team/client', '--secrets-endpoint', endpoint, '--timeout', '3000'],
        {
          HTTP_PROXY: proxyUrl,
          HTTPS_PROXY: proxyUrl,
        },
      );
      expect(through.stderr).toContain('SECRET_NOT_FOUND');
      expect(seen.some((u) => u.startsWith(`${endpoint}/`))).toBe(true);
      const count = seen.length;
      const bypass = await runCli(
        ['check', url(), '--secret-id', 'team/client', '--secrets-endpoint', endpoint, '--timeout', '3000'],
        {
          HTTP_PROXY: proxyUrl,
          NO_PROXY: 'secrets.invalid',
        },
      );
      expect(bypass.status).toBe(2);
      expect(bypass.stderr).not.toContain('SECRET_NOT_FOUND');
      expect(seen.length).toBe(count);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
