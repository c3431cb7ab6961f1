import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Issued, TestPki } from '@mtls-link/testkit';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../packages/probe/dist/cli.js', import.meta.url));

/**
 * Wall time of a whole `mtls-probe check` against the running gateway, Node start-up included:
 * the median of five runs, after one unmeasured run that warms the file cache.
 */
export async function measureProbeCheck(options: {
  url: string;
  pki: TestPki;
  identity: Issued;
}): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-bench-probe-'));
  try {
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
    await writeFile(files.ca, options.pki.trustStorePem);
    await writeFile(files.cert, `${options.identity.certPem}${options.identity.chainPem}`);
    await writeFile(files.key, options.identity.keyPem, { mode: 0o600 });
    const argv = [
      cli,
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
    const once = async () => {
      const start = performance.now();
      const { stdout } = await run(process.execPath, argv);
      const elapsed = performance.now() - start;
      const verdict = (JSON.parse(stdout) as { verdict: string }).verdict;
      if (verdict === 'fail') throw new Error(`the probe failed against the benchmark gateway: ${stdout}`);
      return elapsed;
    };
    await once();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await once());
    times.sort((a, b) => a - b);
    return Math.round(times[2]!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
