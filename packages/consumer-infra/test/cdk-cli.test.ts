import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { endpointServiceName } from './fixtures.ts';

// The CLI and aws-cdk-lib are pinned separately in the catalog; the CLI refuses a cloud assembly whose
// schema major is newer than it knows (aws-cdk@3.0.0 stopped at 43 while aws-cdk-lib 2.276 writes 55).
// Only running the pinned CLI against the built app catches that, so this test does exactly that.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const builtApp = join(packageDir, 'dist', 'bin', 'app.js');
const requireFromPackage = createRequire(join(packageDir, 'package.json'));
const cliPackageJson = requireFromPackage.resolve('aws-cdk/package.json');
const cliBin = join(dirname(cliPackageJson), 'bin', 'cdk');
const scratch: string[] = [];

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Manifest {
  version: string;
  artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  missing?: unknown[];
}

describe('the pinned AWS CDK CLI', () => {
  test('`cdk synth` reads the assembly of the built app and writes both stacks offline', async () => {
    if (!existsSync(builtApp)) {
      throw new Error(`${builtApp} is missing: run "pnpm exec tsc -b" at the repository root first`);
    }
    const outdir = mkdtempSync(join(tmpdir(), 'mtls-link-cdk-cli-'));
    const home = mkdtempSync(join(tmpdir(), 'mtls-link-cdk-home-'));
    scratch.push(outdir, home);
    const cliVersion = (JSON.parse(readFileSync(cliPackageJson, 'utf8')) as { version: string }).version;

    // The app command comes from cdk.json ("node dist/bin/app.js"), so `node` must be this Node.
    // A private HOME keeps the user's ~/.cdk.json out and the CLI's caches out of the user's home;
    // notices, telemetry and the version check would otherwise try the network.
    const { stdout, stderr } = await run(
      process.execPath,
      // cdk.json's endpointServiceName is a placeholder the app refuses; -c sets it as a user would.
      [
        cliBin,
        'synth',
        '--quiet',
        '--no-notices',
        '--output',
        outdir,
        '-c',
        `endpointServiceName=${endpointServiceName}`,
      ],
      {
        cwd: packageDir,
        env: {
          PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
          HOME: home,
          CDK_DISABLE_VERSION_CHECK: 'true',
          CDK_DISABLE_CLI_TELEMETRY: 'true',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeout: 90_000,
      },
    ).catch((error: unknown) => {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`cdk synth with aws-cdk@${cliVersion} failed:\n${stderr}\n${stdout}`, { cause: error });
    });

    expect(`${stdout}${stderr}`).toContain(`Successfully synthesized to ${outdir}`);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
    // Nothing was looked up: a lookup would leave `missing` entries (and need AWS credentials).
    expect(manifest.missing ?? []).toEqual([]);
    expect(existsSync(join(packageDir, 'cdk.context.json'))).toBe(false);

    for (const stack of ['MtlsLinkProducer', 'MtlsLinkConsumer']) {
      expect(manifest.artifacts[stack]?.type).toBe('aws:cloudformation:stack');
      const templateFile = manifest.artifacts[stack]?.properties?.templateFile ?? '';
      expect(templateFile).toBe(`${stack}.template.json`);
      const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as {
        Resources?: Record<string, unknown>;
      };
      expect(Object.keys(template.Resources ?? {}).length).toBeGreaterThan(10);
    }
  });
});
