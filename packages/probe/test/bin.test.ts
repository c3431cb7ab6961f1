import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
// A copy of the package's layout: bin/mtls-probe.js, dist/bundle/ as scripts/bundle-bin.mjs writes
// it, and a dist/cli.js that only says it ran, to tell which of the two the bin chose.
let root: string;
let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;

const pkg = () => join(root, 'probe');
const buildInfo = (which: 'probe' | 'sdk') => join(root, which, 'dist', '.tsbuildinfo');
const bundleEntry = () => join(pkg(), 'dist', 'bundle', 'index.mjs');

/** Sets a file's mtime `seconds` from now (negative: in the past). */
function age(path: string, seconds: number): void {
  const at = new Date(Date.now() + seconds * 1000);
  utimesSync(path, at, at);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mtls-probe-bin-'));
  mkdirSync(join(pkg(), 'bin'), { recursive: true });
  mkdirSync(join(root, 'sdk', 'dist'), { recursive: true });
  copyFileSync(join(repo, 'packages/probe/bin/mtls-probe.js'), join(pkg(), 'bin', 'mtls-probe.js'));
  execFileSync(process.execPath, [join(repo, 'scripts/bundle-bin.mjs')], {
    cwd: repo,
    env: { ...process.env, MTLS_PROBE_BIN_BUNDLE_DIR: join(pkg(), 'dist', 'bundle') },
    stdio: 'pipe',
  });
  writeFileSync(join(pkg(), 'dist', 'cli.js'), "process.stdout.write('ran dist/cli.js\\n');\n");
  writeFileSync(buildInfo('probe'), '{}');
  writeFileSync(buildInfo('sdk'), '{}');
  pki = await createTestPki();
  files = writePki(pki);
  gateway = await startVerifyGateway(pki);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  files?.remove();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function runBin(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runProcess(process.execPath, [join(pkg(), 'bin', 'mtls-probe.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    timeoutMs: 60_000,
  });
}

describe('the mtls-probe bin', { timeout: 90_000 }, () => {
  test('runs the bundle while it is newer than both tsc builds: a whole check passes against the gateway', async () => {
    age(buildInfo('probe'), -60);
    age(buildInfo('sdk'), -60);
    const valid = files.identity('valid', pki.clients.valid);
    const run = await runBin([
      'check',
      `https://127.0.0.1:${gateway.port}/widgets`,
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
    expect(run.stdout).not.toContain('ran dist/cli.js');
    const report = JSON.parse(run.stdout) as { verdict: string; checks: { id: string; status: string }[] };
    expect(report.verdict).toBe('pass');
    expect(report.checks.find((c) => c.id === 'http.response')?.status).toBe('pass');
    assertNoKeyMaterial(run.stdout + run.stderr, files.secrets);
  });

  test('runs dist/cli.js once a tsc build of the probe or of the SDK is newer than the bundle, or without a bundle', async () => {
    age(buildInfo('sdk'), -60);
    age(buildInfo('probe'), 60);
    expect((await runBin(['--version'])).stdout).toBe('ran dist/cli.js\n');
    age(buildInfo('probe'), -60);
    age(buildInfo('sdk'), 60);
    expect((await runBin(['--version'])).stdout).toBe('ran dist/cli.js\n');
    age(buildInfo('sdk'), -60);
    expect((await runBin(['--version'])).stdout).toContain(`mtls-probe ${PROBE_VERSION}`);
    const moved = `${bundleEntry()}.moved`;
    renameSync(bundleEntry(), moved);
    try {
      expect((await runBin(['--version'])).stdout).toBe('ran dist/cli.js\n');
    } finally {
      renameSync(moved, bundleEntry());
    }
  });

  test('a compile cache directory that cannot be created changes nothing: same output, nothing on stderr', async () => {
    age(buildInfo('probe'), -60);
    age(buildInfo('sdk'), -60);
    // A path under a regular file can be created by no one, root included.
    const blocked = join(root, 'not-a-directory');
    writeFileSync(blocked, '');
    for (const env of [{ TMPDIR: join(blocked, 'tmp') }, { NODE_COMPILE_CACHE: join(blocked, 'cache') }]) {
      const run = await runBin(['--version'], env);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`mtls-probe ${PROBE_VERSION}`);
      expect(run.stderr).toBe('');
    }
  });
});
