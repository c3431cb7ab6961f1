// Writes packages/probe/dist/bundle/: the mtls-probe CLI bundled by esbuild, index.mjs and, under
// chunks/, what it loads on use (the AWS clients, enroll, serve). The package's bin
// (packages/probe/bin/mtls-probe.js) runs it instead of dist/cli.js while it is at least as new as the
// tsc builds of the probe and the SDK: one file to read and compile instead of some 450 modules to
// resolve. `npm run build`, `npm test`, `npm run bench` and `npm run demo` run this after `tsc -b`.
// Same esbuild set-up as the canary's Lambda bundle (packages/consumer-infra/src/canary-bundle.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCanary } from '../packages/consumer-infra/src/canary-bundle.ts';
import { cliBundleAliases } from './cli-bundle-shims.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env.MTLS_PROBE_BIN_BUNDLE_DIR ?? join(root, 'packages/probe/dist/bundle');
rmSync(outDir, { recursive: true, force: true });
const shims = mkdtempSync(join(tmpdir(), 'mtls-probe-shims-'));
let bundle;
try {
  const alias = cliBundleAliases(shims, root);
  bundle = bundleCanary({ entry: join(root, 'packages/probe/src/cli.ts'), outDir, alias });
} finally {
  rmSync(shims, { recursive: true, force: true });
}
console.log(
  `wrote ${outDir} (index.mjs ${Math.round(bundle.entryBytes / 1024)} KiB, ${Math.round(bundle.bytes / 1024)} KiB with its chunks): the mtls-probe bin runs it`,
);
