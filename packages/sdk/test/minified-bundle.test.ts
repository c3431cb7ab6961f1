import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';

// A Lambda bundle minifies the SDK: class names become single letters. Error names must survive.
let dir: string;
let bundle: typeof import('../src/index.ts');
let text: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-link-bundle-'));
  const outfile = join(dir, 'sdk.min.mjs');
  await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile,
    conditions: ['@mtls-link/source'],
    // The AWS SDK is in the Lambda runtime; bundling it is beside the point here.
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  text = await readFile(outfile, 'utf8');
  bundle = (await import(pathToFileURL(outfile).href)) as typeof import('../src/index.ts');
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

test('the minifier really renamed the classes (or this test proves nothing)', () => {
  expect(text).not.toMatch(/class ConfigError\b/);
  expect(text).not.toMatch(/class HttpError\b/);
});

test('every error class keeps its name in a minified bundle', () => {
  const b = bundle;
  const made: [Error, string][] = [
    [new b.ConfigError('CONFIG_INVALID', 'm'), 'ConfigError'],
    [new b.ClientClosedError('CLIENT_CLOSED', 'm'), 'ClientClosedError'],
    [new b.SecretError('SECRET_NOT_FOUND', 'm'), 'SecretError'],
    [new b.IdentityError('IDENTITY_PEM_INVALID', 'm'), 'IdentityError'],
    [new b.ConnectionError('TCP_REFUSED', 'm'), 'ConnectionError'],
    [new b.ClientCertificateRejectedError('MTLS_REJECTED', 'm'), 'ClientCertificateRejectedError'],
    [new b.TimeoutError('TIMEOUT_TOTAL', 'm'), 'TimeoutError'],
    [new b.AbortedError('ABORTED', 'm'), 'AbortedError'],
    [new b.ResponseValidationError('RESPONSE_VALIDATION_FAILED', 'm'), 'ResponseValidationError'],
    [new b.ResponseTooLargeError('RESPONSE_TOO_LARGE', 'm'), 'ResponseTooLargeError'],
    [
      new b.HttpError('HTTP_UNEXPECTED_STATUS', 'm', { status: 404, method: 'GET', url: 'u', body: '' }),
      'HttpError',
    ],
    [new b.MtlsLinkError('CONFIG_INVALID', 'm'), 'MtlsLinkError'],
  ];
  for (const [error, name] of made) {
    expect(error.name).toBe(name);
    expect(String(error)).toBe(`${name}: m`);
    expect(b.isMtlsLinkError(error)).toBe(true);
  }
});

test('a bundled client raises named errors too', async () => {
  const error = await Promise.resolve()
    .then(() => bundle.createClient({ baseUrl: 'http://insecure', identity: {} as never }))
    .catch((e: unknown) => e);
  expect((error as Error).name).toBe('ConfigError');
});
