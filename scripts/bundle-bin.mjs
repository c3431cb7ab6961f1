// Writes packages/probe/dist/bundle/: the mtls-probe CLI bundled by esbuild, index.mjs and, under
// chunks/, what it loads on use (the AWS clients, enroll, serve). The package's bin
// (packages/probe/bin/mtls-probe.js) runs it instead of dist/cli.js while it is at least as new as the
// tsc builds of the probe and the SDK: one file to read and compile instead of some 450 modules to
// resolve. `npm run build`, `npm test`, `npm run bench` and `npm run demo` run this after `tsc -b`.
// Same esbuild set-up as the canary's Lambda bundle (packages/consumer-infra/src/canary-bundle.ts).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './cli-bundle-shims.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env.MTLS_PROBE_BIN_BUNDLE_DIR ?? join(root, 'packages/probe/dist/bundle');
rmSync(outDir, { recursive: true, force: true });
const bundle = bundleCli(outDir);
console.log(
  `wrote ${outDir} (index.mjs ${Math.round(bundle.entryBytes / 1024)} KiB, ${Math.round(bundle.bytes / 1024)} KiB with its chunks): the mtls-probe bin runs it`,
);
