import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
export const cliPath = join(repo, 'packages/probe/dist/cli.js');
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  try {
    const built = statSync(cliPath).mtimeMs;
    return ['packages/probe/src', 'packages/sdk/src'].every((d) => newestMtime(join(repo, d)) <= built);
  } catch {
    return false;
  }
}

/**
 * Builds the probe (and the SDK it imports) once, so the end-to-end tests run the real binary.
 * Test files run in parallel processes: a lock directory keeps them to one tsc at a time.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'mtls-link-probe-build.lock');
  for (let waited = 0; ; waited += 200) {
    if (upToDate()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    if (!upToDate())
      execFileSync(process.execPath, [tsc, '-b', 'packages/probe'], { cwd: repo, stdio: 'pipe' });
  } catch (error) {
    const out = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`tsc -b packages/probe failed:\n${out}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Local AWS endpoints accept any credentials; these keep the SDK from looking for real ones. */
export const localAwsEnv = {
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/**
 * Runs `command args` with exactly `env` (nothing inherited) and returns its exit status, output
 * and wall time.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly env: Record<string, string>; readonly cwd?: string; readonly timeoutMs: number },
): Promise<CliRun> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        env: options.env,
        timeout: options.timeoutMs,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ status, stdout, stderr, wallMs: Math.round(performance.now() - start) });
      },
    );
  });
}

/** Runs `node dist/cli.js …` and returns its exit status and output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<CliRun> {
  return runProcess(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...localAwsEnv, ...env },
    timeoutMs,
  });
}
