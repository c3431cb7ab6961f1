import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll } from 'vitest';
import { bundleCanary, type CanaryBundle } from '../src/index.ts';

/** A stand-in canary entry with the handler's shape, for tests that only need an asset. */
export function stubCanaryBundle(): CanaryBundle {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-link-canary-stub-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    "export const handler = async (): Promise<{ verdict: 'pass' }> => ({ verdict: 'pass' });\n",
  );
  return bundleCanary({ entry, outDir: join(dir, 'out') });
}

let stub: CanaryBundle | undefined;

afterAll(() => {
  // The stub's directory is the parent of its `out` bundle directory.
  if (stub !== undefined) rmSync(join(stub.dir, '..'), { recursive: true, force: true });
});

/** One stub bundle per test file (each file runs in its own worker). */
export function stubCanaryCode(): lambda.Code {
  stub ??= stubCanaryBundle();
  return lambda.Code.fromAsset(stub.dir);
}

export const producerAccount = '111111111111';
export const consumerAccount = '222222222222';
export const region = 'eu-west-1';
export const availabilityZones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
export const endpointServiceName = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';
export const certificateArn = `arn:aws:acm:eu-west-1:${producerAccount}:certificate/00000000-0000-0000-0000-000000000000`;

export function newApp(): App {
  return new App({ context: { '@aws-cdk/core:disableVersionReporting': true } });
}

export interface NagFinding {
  readonly rule: string;
  readonly path: string;
  readonly description: string;
}

/**
 * Runs the AwsSolutions pack over a stack; returns the findings not acknowledged, optionally only
 * those under one construct path (to leave out a test's own fixtures).
 */
export function nagFindings(stack: Stack, under = ''): NagFinding[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations
    .flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        rule: violation.ruleName,
        path: resource.constructPath ?? resource.resourceLogicalId ?? '',
        description: violation.description,
      })),
    )
    .filter((finding) => finding.path.startsWith(under));
}
