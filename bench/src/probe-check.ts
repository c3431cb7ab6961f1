import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Issued, TestPki } from '@mtls-link/testkit';
import { median, type PairedRatio, pairedRatio } from './stats.ts';

const run = promisify(execFile);

/** The `mtls-probe` binary as the probe package declares it (whatever its build makes of it). */
async function probeBinary(): Promise<string> {
  const manifest = fileURLToPath(import.meta.resolve('@mtls-link/probe/package.json'));
  const { bin } = JSON.parse(await readFile(manifest, 'utf8')) as { bin: Record<string, string> };
  const relative = bin['mtls-probe'];
  if (relative === undefined) throw new Error(`${manifest} declares no mtls-probe binary`);
  return resolve(dirname(manifest), relative);
}

export interface ProbeCheckTimes {
  /** Median wall time of `mtls-probe check`, Node start-up included. */
  readonly probeCheckMs: number;
  /** Median wall time of a bare `node -e ''`, each run right after the probe of its pair. */
  readonly nodeStartMs: number;
  /** Median and spread of probe/node per pair. */
  readonly vsNodeStart: PairedRatio;
}

/**
 * A whole `mtls-probe check` (every offline check, one request) against the running gateway,
 * paired with a bare `node -e ''` on the same machine at the same moment; one unmeasured pair
 * first warms the file cache.
 */
export async function measureProbeCheck(options: {
  url: string;
  pki: TestPki;
  identity: Issued;
  runs: number;
}): Promise<ProbeCheckTimes> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-bench-probe-'));
  try {
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
    await writeFile(files.ca, options.pki.trustStorePem);
    await writeFile(files.cert, `${options.identity.certPem}${options.identity.chainPem}`);
    await writeFile(files.key, options.identity.keyPem, { mode: 0o600 });
    const argv = [
      await probeBinary(),
      'check',
      `${options.url}/widgets`,
      '--cert',
      files.cert,
      '--key',
      files.key,
      '--ca',
      files.ca,
      '--trust-store',
      files.ca,
      '--format',
      'json',
    ];
    const probe = async () => {
      const start = performance.now();
      const { stdout } = await run(process.execPath, argv);
      const elapsed = performance.now() - start;
      const verdict = (JSON.parse(stdout) as { verdict: string }).verdict;
      if (verdict === 'fail') throw new Error(`the probe failed against the benchmark gateway: ${stdout}`);
      return elapsed;
    };
    const node = async () => {
      const start = performance.now();
      await run(process.execPath, ['-e', '']);
      return performance.now() - start;
    };
    await probe();
    await node();
    const probeMs: number[] = [];
    const nodeMs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      probeMs.push(await probe());
      nodeMs.push(await node());
    }
    return {
      probeCheckMs: Math.round(median(probeMs)),
      nodeStartMs: Math.round(median(nodeMs)),
      vsNodeStart: pairedRatio(probeMs, nodeMs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
