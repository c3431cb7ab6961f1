#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './cli/main.ts';

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());

process.exitCode = await main(hideBin(process.argv), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  interrupted: interrupt.signal,
});
