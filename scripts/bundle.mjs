// npm run bundle: the whole mtls-probe CLI as one ESM file, dist/mtls-probe.mjs, that runs with any
// Node >= 22.19 (the floor of undici, which the SDK uses) and no node_modules (copy it to a bastion host or an SSM session). It is built with the
// same esbuild set-up as the canary's Lambda bundle (packages/consumer-infra/src/canary-bundle.ts).
// `npm run bundle -- --sea` also writes dist/mtls-probe, a single executable for this platform
// (Node's single-executable applications: this Node binary with the bundle injected by postject).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './cli-bundle-shims.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env.MTLS_PROBE_BUNDLE_DIR ?? join(root, 'dist');
const out = join(outDir, 'mtls-probe.mjs');
const kib = (file) => `${Math.round(statSync(file).size / 1024)} KiB`;
const work = mkdtempSync(join(tmpdir(), 'mtls-probe-bundle-'));
try {
  // One file to copy: split: false.
  const bundle = bundleCli(work, { split: false });
  mkdirSync(outDir, { recursive: true });
  copyFileSync(bundle.file, out);
  chmodSync(out, 0o755);
  console.log(`wrote ${out} (${kib(out)}): node mtls-probe.mjs check <url> …`);

  if (process.argv.includes('--sea')) {
    const exe = join(outDir, process.platform === 'win32' ? 'mtls-probe.exe' : 'mtls-probe');
    const config = join(work, 'sea-config.json');
    const blob = join(work, 'sea.blob');
    writeFileSync(
      config,
      JSON.stringify({
        main: join(root, 'scripts/sea-main.cjs'),
        output: blob,
        disableExperimentalSEAWarning: true,
        assets: { 'mtls-probe.mjs': out },
      }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    const { inject } = (await import('postject')).default;
    await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), {
      sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      machoSegmentName: 'NODE_SEA',
    });
    console.log(
      `wrote ${exe} (${kib(exe)}, node ${process.versions.node} ${process.platform}-${process.arch}): ./mtls-probe check <url> …`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
