// The mtls-probe CLI bundled by esbuild, for the CLI bundles (scripts/bundle.mjs, scripts/bundle-bin.mjs):
// the canary's esbuild set-up (bundleCanary) with stand-ins, through esbuild's `alias`, for packages
// that cost start-up time the CLI rarely needs.
//
// string-width builds an Intl.Segmenter and several Unicode-property regular expressions when it
// loads (about 60 ms of CPU); yargs and cliui import it as the CLI starts but call it only to lay
// out help and usage text. Its stand-in loads the real module (yargs' own version) on the first call.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCanary } from '../packages/consumer-infra/src/canary-bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Writes the stand-ins into `dir` and returns the `alias` map for bundleCanary(). */
function cliBundleAliases(dir) {
  const fromProbe = createRequire(join(root, 'packages/probe/package.json'));
  const fromYargs = createRequire(fromProbe.resolve('yargs'));
  const stringWidth = fromYargs.resolve('string-width');
  const shim = join(dir, 'string-width-on-first-use.mjs');
  writeFileSync(
    shim,
    `let real;\nexport default function stringWidth(text, options) {\n  real ??= require(${JSON.stringify(stringWidth)}).default;\n  return real(text, options);\n}\n`,
  );
  return { 'string-width': shim };
}

/**
 * Bundles packages/probe/src/cli.ts into `outDir` (bundleCanary's `index.mjs`, and its chunks unless
 * `split: false`); the stand-ins live in a temporary directory for the build only.
 */
export function bundleCli(outDir, { split } = {}) {
  const shims = mkdtempSync(join(tmpdir(), 'mtls-probe-shims-'));
  try {
    return bundleCanary({
      entry: join(root, 'packages/probe/src/cli.ts'),
      outDir,
      alias: cliBundleAliases(shims),
      ...(split === undefined ? {} : { split }),
    });
  } finally {
    rmSync(shims, { recursive: true, force: true });
  }
}
