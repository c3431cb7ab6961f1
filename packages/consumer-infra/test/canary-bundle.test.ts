import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { bundleCanary, isConsumerInfraError } from '../src/index.ts';

/** Loads a bundle whose handler answers the SHA-256 of `event.text`, and asks it for that of "abc". */
async function expectDigestHandler(file: string): Promise<void> {
  const loaded = (await import(pathToFileURL(file).href)) as {
    handler: (event: { text: string }) => Promise<{ digest: string }>;
  };
  await expect(loaded.handler({ text: 'abc' })).resolves.toEqual({
    digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  });
}

describe('bundleCanary', () => {
  test('bundles an entry and its CommonJS dependencies into one ESM file Lambda can load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-link-bundle-test-'));
    // A CommonJS module calling require() for a built-in: inside an ESM bundle this needs the shim.
    writeFileSync(
      join(dir, 'digest.cjs'),
      "const { createHash } = require('node:crypto');\nmodule.exports = (s) => createHash('sha256').update(s).digest('hex');\n",
    );
    writeFileSync(
      join(dir, 'entry.ts'),
      [
        "import digest from './digest.cjs';",
        'export const handler = async (event: { text: string }): Promise<{ digest: string }> =>',
        '  ({ digest: digest(event.text) });',
        '',
      ].join('\n'),
    );
    const bundle = bundleCanary({ entry: join(dir, 'entry.ts'), outDir: join(dir, 'out') });
    expect(bundle.file).toBe(join(dir, 'out', 'index.mjs'));
    expect(bundle.handler).toBe('index.handler');
    expect(bundle.bytes).toBe(readFileSync(bundle.file).length);
    expect(bundle.entryBytes).toBe(bundle.bytes);
    await expectDigestHandler(bundle.file);
    rmSync(dir, { recursive: true, force: true });
  });

  test('what the entry imports on use goes to chunks beside index.mjs, loaded when first used; split: false writes one file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-link-bundle-test-'));
    writeFileSync(
      join(dir, 'lazy.ts'),
      "import { createHash } from 'node:crypto';\nexport const digest = (s: string): string => createHash('sha256').update(s).digest('hex');\n",
    );
    writeFileSync(
      join(dir, 'entry.ts'),
      [
        'export const handler = async (event: { text: string }): Promise<{ digest: string }> =>',
        "  ({ digest: (await import('./lazy.ts')).digest(event.text) });",
        '',
      ].join('\n'),
    );
    const split = bundleCanary({ entry: join(dir, 'entry.ts'), outDir: join(dir, 'split') });
    const chunks = readdirSync(join(split.dir, 'chunks')).sort();
    const chunkText = chunks.map((c) => readFileSync(join(split.dir, 'chunks', c), 'utf8'));
    expect(readFileSync(split.file, 'utf8')).not.toContain('createHash');
    expect(chunkText.some((text) => text.includes('createHash'))).toBe(true);
    expect(split.entryBytes).toBe(readFileSync(split.file).length);
    expect(split.bytes).toBe(
      split.entryBytes + chunkText.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
    );
    await expectDigestHandler(split.file);
    // A second build into the same directory leaves no chunk of the first behind.
    writeFileSync(join(split.dir, 'chunks', 'stale.mjs'), '');
    bundleCanary({ entry: join(dir, 'entry.ts'), outDir: join(dir, 'split') });
    expect(readdirSync(join(split.dir, 'chunks')).sort()).toEqual(chunks);
    const one = bundleCanary({ entry: join(dir, 'entry.ts'), outDir: join(dir, 'one'), split: false });
    expect(readdirSync(one.dir)).toEqual(['index.mjs']);
    expect(one.bytes).toBe(one.entryBytes);
    expect(readFileSync(one.file, 'utf8')).toContain('createHash');
    rmSync(dir, { recursive: true, force: true });
  });

  test('an entry that cannot be bundled gives a typed error naming the entry', () => {
    let caught: unknown;
    const outDir = mkdtempSync(join(tmpdir(), 'mtls-link-bundle-test-'));
    try {
      bundleCanary({ entry: join(tmpdir(), 'no-such-canary-entry.ts'), outDir });
    } catch (error) {
      caught = error;
    }
    expect(isConsumerInfraError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'CANARY_BUNDLE_FAILED', field: 'entry' });
    expect((caught as Error).message).toContain('no-such-canary-entry.ts');
    expect(readdirSync(outDir)).toEqual([]);
    rmSync(outDir, { recursive: true, force: true });
  });
});
