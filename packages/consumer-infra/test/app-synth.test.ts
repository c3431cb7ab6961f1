import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { CANARY_ENVIRONMENT } from '../src/index.ts';
import { endpointServiceName } from './fixtures.ts';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const builtApp = join(packageDir, 'dist', 'bin', 'app.js');
const scratch: string[] = [];

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Runs the built app the way `pnpm --filter @mtls-link/consumer-infra synth` does, into a temp dir. */
async function synth(context: Record<string, unknown>) {
  if (!existsSync(builtApp)) {
    throw new Error(`${builtApp} is missing: run "pnpm exec tsc -b" at the repository root first`);
  }
  const outdir = mkdtempSync(join(tmpdir(), 'mtls-link-synth-'));
  scratch.push(outdir);
  const { stdout } = await run(process.execPath, [builtApp], {
    cwd: packageDir,
    // No AWS credentials and no network are needed: nothing is looked up.
    env: {
      PATH: process.env['PATH'] ?? '',
      CDK_OUTDIR: outdir,
      // cdk.json's service name is a placeholder the app refuses: give it the producer's output.
      CDK_CONTEXT_JSON: JSON.stringify({ endpointServiceName, ...context }),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    timeout: 60_000,
  });
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  return { outdir, stdout, manifest };
}

describe('the built app (node dist/bin/app.js)', () => {
  test('synthesizes both stacks offline from cdk.json, with cdk-nag passing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-link-canary-entry-'));
    scratch.push(dir);
    const entry = join(dir, 'handler.mjs');
    writeFileSync(entry, "export const handler = async () => ({ verdict: 'pass' });\n");
    const { outdir, stdout, manifest } = await synth({ canaryEntry: entry });
    expect(stdout).toContain('MtlsLinkProducer: ');
    expect(stdout).toContain('(aws://111111111111/eu-west-1)');
    expect(stdout).toContain('(aws://222222222222/eu-west-1)');
    expect(manifest.missing ?? []).toEqual([]);
    const consumer = JSON.parse(readFileSync(join(outdir, 'MtlsLinkConsumer.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
    };
    // One canary per AZ of cdk.json's consumer VPC, each with its own zonal dial target.
    const canaries = Object.values(consumer.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.Environment?.Variables ?? {})
      .filter((v) => v[CANARY_ENVIRONMENT.url] !== undefined);
    expect(canaries.map((v) => v[CANARY_ENVIRONMENT.availabilityZone]).sort()).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
    ]);
    expect(new Set(canaries.map((v) => JSON.stringify(v[CANARY_ENVIRONMENT.connectTo]))).size).toBe(3);
  });

  test('refuses the cdk.json placeholder service name, naming the key, and writes no assembly', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mtls-link-synth-'));
    scratch.push(outdir);
    const failure = await run(process.execPath, [builtApp], {
      cwd: packageDir,
      env: { PATH: process.env['PATH'] ?? '', CDK_OUTDIR: outdir, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(
      /CONTEXT_INVALID: context value "endpointServiceName" is the cdk.json placeholder/,
    );
    expect(existsSync(join(outdir, 'MtlsLinkConsumer.template.json'))).toBe(false);
  });

  test("bundles the probe's canary handler by default", async () => {
    const { outdir, manifest } = await synth({});
    expect(manifest.missing ?? []).toEqual([]);
    const assets = JSON.parse(readFileSync(join(outdir, 'MtlsLinkConsumer.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    // The canary's bundle (CDK's own custom-resource handlers are zip assets too, without index.mjs).
    const canaryAssets = Object.values(assets.files).filter(
      (f) => f.source.packaging === 'zip' && existsSync(join(outdir, f.source.path, 'index.mjs')),
    );
    expect(canaryAssets).toHaveLength(1);
    const bundled = readFileSync(join(outdir, canaryAssets[0]?.source.path ?? '', 'index.mjs'), 'utf8');
    expect(bundled).toContain('MTLS_PROBE_URL');
  });
});
