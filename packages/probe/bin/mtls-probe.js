#!/usr/bin/env node
// The bin is a file the repository holds (not dist/cli.js itself) so that `pnpm install` on a fresh
// clone, before any build, can link it without a "Failed to create bin" warning.
//
// It runs dist/bundle/index.mjs, the CLI bundled by esbuild (scripts/bundle-bin.mjs, which
// `npm run build` runs after tsc), while that is at least as new as the tsc builds of the probe and
// of the SDK it bundles; otherwise (no bundle yet, or a `tsc -b` since) the compiled dist/cli.js.
// Both are the same CLI: the bundle only spares Node resolving and loading some 450 modules.
const { statSync } = process.getBuiltinModule('node:fs');
const { enableCompileCache } = process.getBuiltinModule('node:module');

// Node's on-disk compile cache (Node >= 22.1; under the OS temp dir, or NODE_COMPILE_CACHE): runs
// after the first skip compiling. Enabled before the CLI is imported, so that its code is cached too.
// A directory that cannot be written only means no cache (Node reports it in the returned status, it
// does not throw). src/cli.ts enables it too, for the one-file bundle run without this bin; here
// the second call finds it already on (or fails again, as quietly).
enableCompileCache?.();

const mtime = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/bundle/index.mjs');
const built = Math.max(mtime('../dist/.tsbuildinfo') ?? 0, mtime('../../sdk/dist/.tsbuildinfo') ?? 0);
await import(bundled !== undefined && bundled >= built ? '../dist/bundle/index.mjs' : '../dist/cli.js');
