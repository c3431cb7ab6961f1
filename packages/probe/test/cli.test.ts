import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTestPki,
  type Gateway,
  type LocalSecretsManager,
  startGateway,
  startSecretsManager,
  type TestPki,
  toEncryptedPkcs8Pem,
  toPkcs12,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CERT_OPTIONS } from '../src/cli/cert-command.ts';
import { CHECK_OPTIONS } from '../src/cli/check-options.ts';
import { CHECK_IDS, type ProbeResult } from '../src/index.ts';
import { cliPath, ensureBuilt, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type IdentityFiles, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { startSilentServer, startVerifyGateway } from './helpers/servers.ts';

const passphrase = 'open sesame 42';
let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let secrets: LocalSecretsManager;
let valid: IdentityFiles;
let encrypted: IdentityFiles;
let expired: IdentityFiles;

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  files = writePki(pki);
  valid = files.identity('valid', pki.clients.valid);
  expired = files.identity('expired', pki.clients.expired);
  encrypted = {
    cert: files.write('enc.pem', pki.clients.valid.certPem + pki.clients.valid.chainPem),
    key: files.write('enc.key', toEncryptedPkcs8Pem(pki.clients.valid.keyPem, passphrase)),
  };
  [gateway, secrets] = await Promise.all([
    startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } }),
    startSecretsManager({
      secrets: [
        { name: 'consumer/api-client', string: pki.clients.valid.keyPem + pki.clients.valid.certPem },
      ],
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.close(), secrets?.close()]);
  files?.remove();
});

const target = () => [`https://127.0.0.1:${gateway.port}/widgets`, '--ca', files.ca];
const secretsOf = () => [...files.secrets];

describe.concurrent('mtls-probe command line', () => {
  test('every option states its default in --help, for both commands', async () => {
    for (const [name, spec] of [...Object.entries(CHECK_OPTIONS), ...Object.entries(CERT_OPTIONS)]) {
      const hasDefault = 'default' in spec || /default/i.test(spec.describe);
      expect(hasDefault, name).toBe(true);
    }
    const check = await runCli(['check', '--help']);
    expect(check.status).toBe(0);
    for (const name of Object.keys(CHECK_OPTIONS)) expect(check.stdout).toContain(`--${name}`);
    const cert = await runCli(['cert', '--help']);
    expect(cert.status).toBe(0);
    for (const name of Object.keys(CERT_OPTIONS)) expect(cert.stdout).toContain(`--${name}`);
  });

  test('completion prints a shell completion script', async () => {
    const run = await runCli(['completion']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('mtls-probe');
    expect(run.stdout).toMatch(/complete|compdef/);
  });

  test('a bad option exits 2 naming it, and runs nothing', async () => {
    const run = await runCli(['check', ...target(), '--bogus-option', 'x']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/CONFIG_INVALID: .*bogus-option/);
    const notHttps = await runCli(['check', 'http://example.com/']);
    expect(notHttps.status).toBe(2);
    expect(notHttps.stderr).toContain('https://');
    const half = await runCli(['check', ...target(), '--cert', valid.cert]);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--cert and --key');
    // --count only means something with --watch: refused rather than silently ignored.
    const countAlone = await runCli(['check', ...target(), '--count', '3']);
    expect(countAlone.status).toBe(2);
    expect(countAlone.stderr).toMatch(/count.*watch|watch.*count/);
  });

  test('an unreadable certificate file exits 2 naming the option and the path', async () => {
    const missing = join(files.dir, 'nope.pem');
    const run = await runCli(['check', ...target(), '--cert', missing, '--key', valid.key]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`--cert: cannot read ${missing} (ENOENT)`);
    const garbage = files.write('garbage.pem', 'not a certificate');
    const unreadable = await runCli(['check', ...target(), '--cert', garbage, '--key', valid.key]);
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toMatch(/IDENTITY_/);
    assertNoKeyMaterial(unreadable.stdout + unreadable.stderr, secretsOf());
    // a file that holds no key: the hint names the options, not a secret's fields
    const noKey = await runCli(['check', ...target(), '--cert', valid.cert, '--key', files.crl]);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('IDENTITY_FIELD_MISSING');
    expect(noKey.stderr).toMatch(/hint: .*--cert\/--key/);
    expect(noKey.stderr).not.toMatch(/hint: .*secret/);
    const certNoKey = await runCli(['cert', valid.cert, '--key', files.crl]);
    expect(certNoKey.status).toBe(2);
    expect(certNoKey.stderr).toMatch(/hint: .*<file>\/--key/);
  });

  test('a wrong passphrase exits 2 with IDENTITY_PASSPHRASE_WRONG and is never echoed', async () => {
    const wrong = 'definitely-not-it-9';
    const run = await runCli([
      'check',
      ...target(),
      '--cert',
      encrypted.cert,
      '--key',
      encrypted.key,
      '--passphrase',
      wrong,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('IDENTITY_PASSPHRASE_WRONG');
    expect(run.stderr).toMatch(/hint: .*--passphrase/);
    assertNoKeyMaterial(run.stdout + run.stderr, secretsOf(), [wrong, passphrase]);
  });

  test('a PKCS#12 file with --pfx and --passphrase: passes, and cert reads it too', async () => {
    const pfx = join(files.dir, 'client.p12');
    writeFileSync(pfx, await toPkcs12(pki.clients.valid, passphrase, { includeChain: true }));
    const run = await runCli([
      'check',
      ...target(),
      '--pfx',
      pfx,
      '--passphrase',
      passphrase,
      '--format',
      'json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as ProbeResult).verdict).toBe('pass');
    assertNoKeyMaterial(run.stdout + run.stderr, secretsOf(), [passphrase]);
    const cert = await runCli(['cert', pfx, '--passphrase', passphrase]);
    expect(cert.status).toBe(0);
    expect(cert.stdout).toContain(pki.clients.valid.serialHex);
    assertNoKeyMaterial(cert.stdout + cert.stderr, secretsOf(), [passphrase]);
  });

  test('--secret-id without any configured region uses the documented default (us-east-1)', async () => {
    const args = ['--secret-id', 'consumer/api-client', '--secrets-endpoint', secrets.endpoint];
    const run = await runCli(['check', ...target(), ...args], { AWS_REGION: '' });
    expect(run.status, run.stderr).toBe(0);
    const cert = await runCli(['cert', ...args], { AWS_REGION: '' });
    expect(cert.status, cert.stderr).toBe(0);
    expect(cert.stdout).toContain('secretsmanager:consumer/api-client@AWSCURRENT');
  });

  test('ELBv2 or Secrets Manager APIs that never answer: exit 2 within --timeout, not a hang', async () => {
    const silent = await startSilentServer();
    try {
      const run = await runCli([
        'check',
        ...target(),
        '--trust-store-arn',
        'arn:aws:elasticloadbalancing:us-east-1:000000000000:truststore/ts/1',
        '--elbv2-endpoint',
        `http://127.0.0.1:${silent.port}`,
        '--timeout',
        '800',
      ]);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain('TRUST_STORE_UNAVAILABLE');
      expect(run.stderr).toContain('DescribeTrustStores failed: no answer within 800 ms');
      expect(run.wallMs).toBeLessThan(8_000);
      // Secrets Manager that never answers: the same deadline, and the unreachable hint.
      const secret = await runCli([
        'check',
        ...target(),
        '--secret-id',
        'consumer/api-client',
        '--secrets-endpoint',
        `http://127.0.0.1:${silent.port}`,
        '--timeout',
        '800',
      ]);
      expect(secret.status, secret.stderr).toBe(2);
      expect(secret.stderr).toContain('SECRET_UNAVAILABLE');
      expect(secret.wallMs).toBeLessThan(8_000);
    } finally {
      await silent.close();
    }
  });

  test('a secret that does not exist exits 2 with SECRET_NOT_FOUND', async () => {
    const run = await runCli([
      'check',
      ...target(),
      '--secret-id',
      'no/such/secret',
      '--secrets-endpoint',
      secrets.endpoint,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('SECRET_NOT_FOUND');
    expect(run.stderr).toContain('no/such/secret');
  });

  test('all four formats describe the same run, without key material or passphrase', async () => {
    const args = [
      'check',
      ...target(),
      '--cert',
      encrypted.cert,
      '--key',
      encrypted.key,
      '--passphrase',
      passphrase,
    ];
    const [text, json, junit, emf] = await Promise.all(
      (['text', 'json', 'junit', 'emf'] as const).map((format) => runCli([...args, '--format', format])),
    );
    for (const run of [text, json, junit, emf]) {
      expect(run?.status, run?.stderr).toBe(0);
      assertNoKeyMaterial(`${run?.stdout}${run?.stderr}`, secretsOf(), [passphrase]);
    }
    const result = JSON.parse(json?.stdout ?? '') as ProbeResult;
    expect(result.verdict).toBe('pass');
    // text: one aligned line per check, no colour under NO_COLOR
    const lines = text?.stdout.split('\n') ?? [];
    for (const id of CHECK_IDS) expect(lines.some((l) => l.includes(` ${id} `))).toBe(true);
    expect(text?.stdout).not.toContain('\u001b[');
    expect(text?.stdout).toMatch(/^PASS: /m);
    // junit: one testcase per check
    expect(junit?.stdout.match(/<testcase /g)).toHaveLength(CHECK_IDS.length);
    expect(junit?.stdout).toContain('failures="0"');
    // emf: one JSON document per line, the run first
    const documents = (emf?.stdout.trim().split('\n') ?? []).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(documents[0]).toMatchObject({ Success: 1, CheckFailed: 0 });
    // days to expiry: one decimal in both certificates' figures, in JSON and EMF alike
    const inspect = result.checks.find((c) => c.id === 'client-cert.inspect');
    expect(String(inspect?.details.daysLeft)).toMatch(/^\d+(\.\d)?$/);
    expect(String(documents[0]?.ClientCertDaysToExpiry)).toMatch(/^\d+(\.\d)?$/);
    expect(JSON.stringify(documents[0])).toContain('"Namespace":"MtlsLink/Probe"');
  });

  test('through the system resolver, localhost is not asked of DNS (RFC 6761) and needs no note', async () => {
    const port = String(gateway.port);
    const run = await runCli([
      'check',
      `https://localhost:${port}/widgets`,
      '--ca',
      files.ca,
      '--connect-to',
      `127.0.0.1:${port}`,
      '--format',
      'json',
    ]);
    const dns = (JSON.parse(run.stdout) as ProbeResult).checks.find((c) => c.id === 'dns.resolve');
    expect(dns?.status).toBe('pass');
    expect(dns?.details).toMatchObject({ resolver: 'system', cnameChain: [] });
    expect(dns?.details.note).toBeUndefined();
  });

  test('--output writes the report to a file; colour follows FORCE_COLOR and NO_COLOR', async () => {
    const out = join(files.dir, 'report.xml');
    const run = await runCli([
      'check',
      ...target(),
      '--cert',
      valid.cert,
      '--key',
      valid.key,
      '--format',
      'junit',
      '--output',
      out,
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('<testsuites name="mtls-probe"');
    const coloured = await runCli(['check', ...target()], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(coloured.stdout).toContain('\u001b[');
  });

  test('--watch repeats, prints a rolling p50/p99 summary, and stops after --count', async () => {
    const run = await runCli([
      'check',
      ...target(),
      '--cert',
      valid.cert,
      '--key',
      valid.key,
      '--watch',
      '0.1',
      '--count',
      '3',
    ]);
    expect(run.status).toBe(0);
    const runs = run.stdout.trim().split('\n');
    expect(runs).toHaveLength(3);
    expect(runs[2]).toMatch(/^#3 .* PASS .*\| 3 runs, 0 failed, p50 [\d.]+ ms, p99 [\d.]+ ms$/);
    expect(run.stderr).toMatch(/mtls-probe watch: 3 runs, 0 failed, p50/);
  });

  test('--watch without --count runs until Ctrl-C, then prints its summary and exits by the runs it saw', async () => {
    const child = spawn(
      process.execPath,
      [cliPath, 'check', ...target(), '--cert', valid.cert, '--key', valid.key, '--watch', '0.2'],
      {
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && stdout.split('\n').length < 3; i++) await sleep(100);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(stderr).toMatch(/mtls-probe watch: \d+ runs, 0 failed, p50 /);
  });

  test('a full check costs three TLS connections, as the ALB connection log shows (two Success), and runs well under a second', async () => {
    const own = await startVerifyGateway(pki);
    try {
      const run = await runCli([
        'check',
        `https://127.0.0.1:${own.port}/widgets`,
        '--ca',
        files.ca,
        '--cert',
        valid.cert,
        '--key',
        valid.key,
        '--format',
        'json',
      ]);
      expect(run.status, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as ProbeResult).verdict).toBe('pass');
      // tcp.connect opens a plain TCP connection (logged without TLS); then tls.server and
      // tls.client-cert succeed, and tls.no-client-cert is refused on purpose.
      const tls = own.connectionLog.filter((e) => e.tlsProtocol !== '-').map((e) => e.tlsVerifyStatus);
      expect(tls.sort()).toEqual(['Failed:UnmappedConnectionError', 'Success', 'Success']);
      expect(own.connectionLog).toHaveLength(4);
    } finally {
      await own.close();
    }
  });

  test('cert --crl without --trust-store judges the CRL by the certificate chain, as check does', async () => {
    const revoked = files.identity('cert-crl-revoked', pki.clients.revoked);
    const run = await runCli(['cert', revoked.cert, '--key', revoked.key, '--crl', files.crl]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain('tls_verify_status would be Failed:ClientCertCrlHit');
    expect(run.stdout).toMatch(/error CLIENT_CERT_REVOKED: .*serial /);
    expect(run.stdout).not.toContain('CRL_INVALID');
    const fine = await runCli(['cert', valid.cert, '--key', valid.key, '--crl', files.crl]);
    expect(fine.status, fine.stdout).toBe(0);
    expect(fine.stdout).toMatch(/findings\s+none/);
    assertNoKeyMaterial(run.stdout + run.stderr + fine.stdout + fine.stderr, secretsOf());
  });

  test('cert shows subject, issuer, serial as the ALB sends it, validity, key, EKU, chain and the verdict', async () => {
    const run = await runCli(['cert', valid.cert, '--key', valid.key, '--trust-store', files.trustStore]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${pki.clients.valid.serialHex}  (X-Amzn-Mtls-Clientcert-Serial-Number)`);
    expect(run.stdout).toMatch(/validity\s+NotBefore=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ;NotAfter=/);
    expect(run.stdout).toMatch(/EKU\s+clientAuth/);
    expect(run.stdout).toMatch(/key\s+EC prime256v1/);
    expect(run.stdout).toMatch(/chain\s+1\. CN=/);
    expect(run.stdout).toContain('tls_verify_status would be Success');
    assertNoKeyMaterial(run.stdout + run.stderr, secretsOf());
    const certOnly = await runCli(['cert', valid.cert]);
    expect(certOnly.status, certOnly.stderr).toBe(0);
    expect(certOnly.stdout).toContain(pki.clients.valid.serialHex);
    expect(certOnly.stdout).toMatch(/ALB verdict\s+not judged: give the private key/);
    // The same chain with or without the key: what is presented, self-signed root left out.
    const chainLines = (out: string) => out.split('\n').filter((l) => /^(chain|\s)\s+\d+\. /.test(l));
    expect(chainLines(run.stdout)).toHaveLength(1);
    expect(chainLines(certOnly.stdout)).toEqual(chainLines(run.stdout));
    const json = await runCli(['cert', expired.cert, '--key', expired.key, '--format', 'json']);
    expect(json.status).toBe(1);
    const described = JSON.parse(json.stdout) as { predictedAlbStatus: string; findings: { code: string }[] };
    expect(described.predictedAlbStatus).toBe('Failed:ClientCertExpired');
    expect(described.findings.map((f) => f.code)).toContain('CLIENT_CERT_EXPIRED');
    const fromSecret = await runCli([
      'cert',
      '--secret-id',
      'consumer/api-client',
      '--secrets-endpoint',
      secrets.endpoint,
    ]);
    expect(fromSecret.status).toBe(0);
    expect(fromSecret.stdout).toContain('secretsmanager:consumer/api-client@AWSCURRENT');
    assertNoKeyMaterial(fromSecret.stdout + fromSecret.stderr, secretsOf());
  });
});
