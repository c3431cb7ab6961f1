// Stand-ins the CLI bundles (scripts/bundle.mjs, scripts/bundle-bin.mjs) put in place of packages
// that cost start-up time the CLI rarely needs, through esbuild's `alias`.
//
// string-width builds an Intl.Segmenter and several Unicode-property regular expressions when it
// loads (about 60 ms of CPU); yargs and cliui import it as the CLI starts but call it only to lay
// out help and usage text. Its stand-in loads the real module (yargs' own version) on the first call.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Writes the stand-ins into `dir` and returns the `alias` map for bundleCanary(). */
export function cliBundleAliases(dir, root) {
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
