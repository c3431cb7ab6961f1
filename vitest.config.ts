import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests (the "@mtls-link/source" export
// condition), so tests never depend on a stale build; CLI end-to-end tests run the built binary.
// No 'module' condition: AWS SDK v3 packages list it before 'node' and point it at bundler-only ESM
// (extensionless imports) that Node cannot load.
const conditions = ['@mtls-link/source', 'node', 'import', 'default'];

const project = (name: string, include: string[], testTimeout = 15_000) => ({
  extends: true as const,
  test: { name, include, testTimeout },
});

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    pool: 'forks',
    hookTimeout: 30_000,
    typecheck: { include: ['packages/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    projects: [
      project('testkit', ['packages/testkit/test/**/*.test.ts']),
      project('sdk', ['packages/sdk/test/**/*.test.ts']),
      project('probe', ['packages/probe/test/**/*.test.ts']),
      project('consumer-infra', ['packages/consumer-infra/test/**/*.test.ts'], 120_000),
      project('examples', ['examples/*/test/**/*.test.ts'], 30_000),
      project('bench', ['bench/test/**/*.test.ts']),
      // Projects do not pick up the root typecheck.include; type tests get a project of their own.
      {
        extends: true as const,
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['packages/**/*.test-d.ts'] },
        },
      },
    ],
  },
});
