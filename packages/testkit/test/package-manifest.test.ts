// Consumers install the testkit from its manifest: what src/ imports must be a runtime dependency
// (a devDependency is missing for them), and a runtime dependency nobody imports only costs them.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Package names of the bare specifiers src/ imports at run time (type-only imports left out). */
function importedPackages(): Set<string> {
  const found = new Set<string>();
  const specifier =
    /(?:^|\n)\s*(import|export)(?!\s+type\b)[^'"]*?from\s+'([^'.][^']*)'|import\(\s*'([^'.][^']*)'\s*\)|^import\s+'([^'.][^']*)'/gm;
  for (const file of sourceFiles(join(root, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
      const name = match[2] ?? match[3] ?? match[4];
      if (name === undefined || name.startsWith('node:') || builtinModules.includes(name)) continue;
      const parts = name.split('/');
      found.add(name.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
    }
  }
  return found;
}

describe('package.json of @mtls-link/testkit', () => {
  test('runtime dependencies are exactly the packages src/ imports', () => {
    const imported = [...importedPackages()].sort();
    expect(imported).toContain('@peculiar/x509');
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(imported);
  });
});
