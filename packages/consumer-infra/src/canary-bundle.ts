import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { ConsumerInfraError } from './errors.ts';

/** The probe's canary handler, resolved like any workspace import (TypeScript source in the repo). */
export const DEFAULT_CANARY_ENTRY = '@mtls-link/probe/canary';

export interface CanaryBundleOptions {
  /**
   * Module exporting `handler`: a file path or a package specifier resolved from this package.
   * @default DEFAULT_CANARY_ENTRY
   */
  readonly entry?: string;
  /**
   * Directory to write `index.mjs` into.
   * @default a fresh directory under the OS temp dir
   */
  readonly outDir?: string;
  /** @default true */
  readonly minify?: boolean;
  /**
   * Put what the entry imports on use (`await import(…)`: the AWS clients of the options that need
   * them) in chunk files under `chunks/` beside `index.mjs`, loaded when first used. A cold start
   * then reads and compiles only what every invocation runs, and each chunk is tree-shaken (esbuild
   * keeps the whole of a dynamically imported module when it has to inline it). `false`: one file.
   * @default true
   */
  readonly split?: boolean;
  /**
   * Packages replaced by other files (esbuild's `alias`: package name to an absolute path). The
   * probe's CLI bundles use it to load string-width on first use.
   */
  readonly alias?: Readonly<Record<string, string>>;
}

export interface CanaryBundle {
  /** Directory holding the bundle: pass it to `lambda.Code.fromAsset`. */
  readonly dir: string;
  /** The bundle file itself. */
  readonly file: string;
  /** Lambda handler string for this bundle. */
  readonly handler: 'index.handler';
  /** Size of the bundle in bytes: every file this build wrote (`index.mjs` and its chunks). */
  readonly bytes: number;
  /** Size of `index.mjs` alone: what a cold start loads before any chunk. */
  readonly entryBytes: number;
}

const packageDir = fileURLToPath(new URL('..', import.meta.url));

// CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
const requireShim =
  "import { createRequire as __mtlsLinkCreateRequire } from 'node:module';" +
  'const require = __mtlsLinkCreateRequire(import.meta.url);';

/**
 * Bundles the canary handler with esbuild in-process: no Docker, no network, fast enough for synth.
 * The bundle is `index.mjs` and, unless `split: false`, the chunks it loads on use (under `chunks/`).
 *
 * Everything is bundled, the AWS SDK v3 clients included, although the Lambda runtime ships one:
 * the canary then runs exactly the SDK versions this repository tests against, and a runtime SDK
 * update cannot change its behaviour between two runs.
 */
export function bundleCanary(options: CanaryBundleOptions = {}): CanaryBundle {
  const entry = options.entry ?? DEFAULT_CANARY_ENTRY;
  const dir = options.outDir ?? mkdtempSync(join(tmpdir(), 'mtls-link-canary-'));
  const file = join(dir, 'index.mjs');
  const isPath = isAbsolute(entry) || entry.startsWith('.');
  const split = options.split ?? true;
  let bytes = 0;
  try {
    // Chunk names carry a content hash: a previous build's chunks in the same outDir would stay behind.
    if (split) rmSync(join(dir, 'chunks'), { recursive: true, force: true });
    const result = buildSync({
      ...(isPath
        ? { entryPoints: [resolve(entry)] }
        : {
            stdin: {
              contents: `export { handler } from ${JSON.stringify(entry)};`,
              resolveDir: packageDir,
              loader: 'js',
            },
          }),
      ...(split
        ? {
            outdir: dir,
            splitting: true,
            entryNames: 'index',
            chunkNames: 'chunks/[name]-[hash]',
            outExtension: { '.js': '.mjs' },
          }
        : { outfile: file }),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      // Workspace packages export their TypeScript source under this condition; a published
      // install falls through to the compiled `default` export.
      conditions: ['@mtls-link/source'],
      mainFields: ['module', 'main'],
      banner: { js: requireShim },
      ...(options.alias === undefined ? {} : { alias: { ...options.alias } }),
      minify: options.minify ?? true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'silent',
      metafile: true,
    });
    for (const output of Object.values(result.metafile.outputs)) bytes += output.bytes;
  } catch (cause) {
    if (options.outDir === undefined) rmSync(dir, { recursive: true, force: true });
    throw new ConsumerInfraError(
      'CANARY_BUNDLE_FAILED',
      `esbuild could not bundle the canary entry ${entry}`,
      {
        field: 'entry',
        cause,
      },
    );
  }
  return { dir, file, handler: 'index.handler', bytes, entryBytes: statSync(file).size };
}

const bundles = new Map<string, CanaryBundle>();

/** Like bundleCanary, but bundles each entry once per process (several stacks share one asset). */
export function bundleCanaryOnce(entry: string = DEFAULT_CANARY_ENTRY): CanaryBundle {
  let bundle = bundles.get(entry);
  if (bundle === undefined) {
    bundle = bundleCanary({ entry });
    bundles.set(entry, bundle);
  }
  return bundle;
}

/**
 * Deletes the directories bundleCanaryOnce wrote. Call after `app.synth()`: synthesis has copied
 * the bundle into the cloud assembly by then.
 */
export function removeCanaryBundles(): void {
  for (const bundle of bundles.values()) rmSync(bundle.dir, { recursive: true, force: true });
  bundles.clear();
}
