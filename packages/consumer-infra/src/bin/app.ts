#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { addMtlsLinkStacks } from '../app.ts';
import { removeCanaryBundles } from '../canary-bundle.ts';
import { isConsumerInfraError } from '../errors.ts';

// Run as `node dist/bin/app.js` (no CDK CLI) the app still reads cdk.json's context and writes to
// cdk.out; under the CLI, the CLI's context and output directory take precedence.
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const cdkJson = JSON.parse(readFileSync(join(packageDir, 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
try {
  const app = new App({
    outdir: process.env['CDK_OUTDIR'] ?? join(packageDir, 'cdk.out'),
    context: cdkJson.context ?? {},
  });
  addMtlsLinkStacks(app);
  const assembly = app.synth();
  for (const stack of assembly.stacks) {
    console.log(`${stack.stackName}: ${stack.templateFullPath} (${stack.environment.name})`);
  }
} catch (error) {
  if (!isConsumerInfraError(error)) throw error;
  console.error(`${error.code}: ${error.message}`);
  // esbuild reports what it could not resolve in `errors[].text`.
  const details = (error.cause as { errors?: { text?: string }[] } | undefined)?.errors ?? [];
  for (const detail of details) console.error(`  ${detail.text ?? ''}`);
  process.exitCode = 1;
} finally {
  removeCanaryBundles();
}
