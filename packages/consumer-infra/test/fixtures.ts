import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
/** Not the cdk.json placeholder, which the consumer constructs refuse. */
export const endpointServiceName = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0a1b2c3d4e5f60718';
export const certificateArn = `arn:aws:acm:eu-west-1:${producerAccount}:certificate/00000000-0000-0000-0000-000000000000`;

/** The feature flags cdk.json sets (the recommended ones): every test synthesizes under them. */
export const featureFlags: Record<string, unknown> = Object.fromEntries(
  Object.entries(
    (
      JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
        context: Record<string, unknown>;
      }
    ).context,
  ).filter(([key]) => key.startsWith('@aws-cdk')),
);

export function newApp(): App {
  return new App({ context: featureFlags });
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
