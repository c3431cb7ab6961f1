import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki, type Gateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROBE_VERSION } from '../src/version.ts';
import { type CliRun, runProcess } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { startVerifyGateway } from './helpers/servers.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let out: string;
let empty: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'mtls-probe-dist-'));
  empty = mkdtempSync(join(tmpdir(), 'mtls-probe-empty-'));
  // npm run bundle -- --sea, into a temporary dist/.
  execFileSync(process.execPath, [join(repo, 'scripts/bundle.mjs'), '--sea'], {
    cwd: repo,
    env: { ...process.env, MTLS_PROBE_BUNDLE_DIR: out },
    stdio: 'pipe',
  });
  copyFileSync(join(out, 'mtls-probe.mjs'), join(empty, 'mtls-probe.mjs'));
  copyFileSync(join(out, 'mtls-probe'), join(empty, 'mtls-probe'));
  pki = await createTestPki();
  files = writePki(pki);
  gateway = await startVerifyGateway(pki);
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  files?.remove();
  for (const dir of [out, empty]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs a command in the empty folder with nothing but PATH: no node_modules, no NODE_PATH, no repo. */
function runIn(command: string, args: readonly string[]): Promise<CliRun> {
  return runProcess(command, args, {
    cwd: empty,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', HOME: empty },
    timeoutMs: 60_000,
  });
}

const check = (...extra: string[]) => {
  const valid = files.identity('valid', pki.clients.valid);
  return [
    'check',
    `https://127.0.0.1:${gateway.port}/widgets`,
    '--ca',
    files.ca,
    '--cert',
    valid.cert,
    '--key',
    valid.key,
    ...extra,
  ];
};

describe('the one-file bundle and the single executable, run from an empty folder', {
  timeout: 90_000,
}, () => {
  test('the folder holds only the two files: nothing to resolve modules from', () => {
    expect(readdirSync(empty).sort()).toEqual(['mtls-probe', 'mtls-probe.mjs']);
  });

  test('node mtls-probe.mjs check … passes against the gateway, and fails (exit 1) with an expired certificate', async () => {
    const good = await runIn(process.execPath, ['mtls-probe.mjs', ...check()]);
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^PASS: /m);
    expect(good.stdout).toMatch(/ok {4}http\.response .*→ 200/);
    expect(good.stderr).toBe('');
    const expired = files.identity('expired', pki.clients.expired);
    const bad = await runIn(process.execPath, [
      'mtls-probe.mjs',
      'check',
      `https://127.0.0.1:${gateway.port}/widgets`,
      '--ca',
      files.ca,
      '--cert',
      expired.cert,
      '--key',
      expired.key,
      '--format',
      'json',
    ]);
    expect(bad.status).toBe(1);
    expect(
      JSON.parse(bad.stdout).checks.find((c: { id: string }) => c.id === 'client-cert.inspect').code,
    ).toBe('CLIENT_CERT_EXPIRED');
    assertNoKeyMaterial(good.stdout + bad.stdout, files.secrets);
  });

  test('the bundle carries every command: --version, cert, --help', async () => {
    const version = await runIn(process.execPath, ['mtls-probe.mjs', '--version']);
    expect(version.stdout).toContain(`mtls-probe ${PROBE_VERSION}`);
    const valid = files.identity('valid', pki.clients.valid);
    const cert = await runIn(process.execPath, ['mtls-probe.mjs', 'cert', valid.cert, '--key', valid.key]);
    expect(cert.status, cert.stderr).toBe(0);
    expect(cert.stdout).toContain('CN=client valid');
    const help = await runIn(process.execPath, ['mtls-probe.mjs', 'serve', '--help']);
    expect(help.stdout).toContain('--listen');
  });

  test('./mtls-probe, the single executable, runs the same check without any Node on PATH', async () => {
    const run = await runProcess(join(empty, 'mtls-probe'), check('--format', 'json'), {
      cwd: empty,
      env: { PATH: '/nonexistent', HOME: empty },
      timeoutMs: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).verdict).toBe('pass');
  });
});
