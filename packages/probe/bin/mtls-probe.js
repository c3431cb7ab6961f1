#!/usr/bin/env node
// The bin is a file the repository holds (not dist/cli.js itself) so that `pnpm install` on a fresh
// clone, before any build, can link it without a "Failed to create bin" warning.
await import('../dist/cli.js');
