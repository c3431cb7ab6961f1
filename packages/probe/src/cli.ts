#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Most of a short probe run is spent compiling modules (the AWS SDK, yargs, pkijs); Node's on-disk
// compile cache makes every run after the first start faster. Imports below must stay dynamic so
// that they are compiled with the cache enabled.
enableCompileCache?.();

const { hideBin } = await import('yargs/helpers');
const { main } = await import('./cli/main.ts');

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());

process.exitCode = await main(hideBin(process.argv), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  interrupted: interrupt.signal,
});
