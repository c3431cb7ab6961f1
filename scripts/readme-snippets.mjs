// Writes the README code blocks that are whole programs (```ts blocks that begin with an import) into
// git-ignored folders inside the packages whose dependencies they use, each with a tsconfig, so
// that the test command can type-check them: a README example that no longer compiles fails CI.
// Blocks that do not begin with an import are fragments of a larger program and are not checked.
// Names the README examples use without declaring them (`api`, `log`, `url`) are declared in
// readme-ambient.d.ts, as the quick start builds them.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Which package's dependencies a README's examples need (the SDK's devDependencies include the testkit).
const targets = [
  { readme: 'packages/sdk/README.md', into: 'packages/sdk' },
  { readme: 'packages/testkit/README.md', into: 'packages/sdk' },
  { readme: 'packages/probe/README.md', into: 'packages/probe' },
];
const paths = 'examples/service-client/src/widgets-api.generated.ts';

const ambient = `import type { Client } from '@mtls-link/sdk';
import type { paths } from './widgets-api.generated.ts';

declare global {
  /** The client the quick start builds. */
  const api: Client<paths>;
  /** Any structured logger. */
  const log: { info(entry: object): void; warn(entry: object): void; error(entry: object): void };
  /** The URL the examples probe. */
  const url: string;
}
`;

function programs(markdown) {
  const blocks = [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks.filter((code) => code.trimStart().startsWith('import '));
}

const written = new Map();
for (const { readme, into } of targets) {
  const dir = join(root, into, '.cache', 'readme-snippets');
  if (!written.has(dir)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(root, paths), join(dir, 'widgets-api.generated.ts'));
    writeFileSync(join(dir, 'readme-ambient.d.ts'), ambient);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      `${JSON.stringify(
        {
          extends: relative(dir, join(root, 'tsconfig.tests.json')),
          include: ['*.ts'],
        },
        null,
        2,
      )}\n`,
    );
    written.set(dir, 0);
  }
  const name = readme.split('/')[1];
  for (const code of programs(readFileSync(join(root, readme), 'utf8'))) {
    const n = written.get(dir) + 1;
    written.set(dir, n);
    writeFileSync(join(dir, `${name}-${n}.ts`), `// from ${readme}\n${code}`);
  }
}
for (const [dir, count] of written) console.log(`${relative(root, dir)}: ${count} README programs`);
