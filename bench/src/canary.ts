// The canary Lambda's cold start as far as it can be seen locally: the size of the bundle the
// infrastructure deploys, and the time a fresh Node process takes to import its handler.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { bundleCanary } from '@mtls-link/consumer-infra';
import { median } from './stats.ts';

const run = promisify(execFile);

export interface CanaryFigures {
  readonly bundleBytes: number;
  /** Wall time of `await import(handler bundle)` in each fresh process. */
  readonly initMs: readonly number[];
  readonly medianInitMs: number;
  /** Median CPU of the same import. */
  readonly medianInitCpuMs: number;
}

// Runs in the fresh process: times the import alone, not Node's own start.
const importTimer = `
const url = process.argv[1];
const cpu = process.cpuUsage();
const start = performance.now();
const module = await import(url);
if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler');
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 }));
`;

export async function measureCanary(runs: number): Promise<CanaryFigures> {
  const bundle = bundleCanary();
  try {
    const url = pathToFileURL(bundle.file).href;
    const once = async () => {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', importTimer, url], {
        // The Lambda runtime's own variables, so that init code that reads them takes its real path.
        env: { ...process.env, AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'mtls-link-bench-canary' },
      });
      return JSON.parse(stdout) as { ms: number; cpuMs: number };
    };
    await once();
    const samples: { ms: number; cpuMs: number }[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once());
    const initMs = samples.map((s) => s.ms);
    return {
      bundleBytes: bundle.bytes,
      initMs,
      medianInitMs: Math.round(median(initMs)),
      medianInitCpuMs: Math.round(median(samples.map((s) => s.cpuMs))),
    };
  } finally {
    await rm(bundle.dir, { recursive: true, force: true });
  }
}
