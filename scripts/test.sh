#!/usr/bin/env bash
# The test command (npm test): lint, type-check and build every package, then run every vitest
# project (unit, integration against loopback servers, CLI end to end, type tests), and close with
# one plain line "tests: N passed, N failed, N skipped" that any CI can read.
set -euo pipefail
pnpm exec biome check .
pnpm exec tsc -b
# The bundle the mtls-probe bin runs (packages/probe/dist/bundle/; see scripts/bundle-bin.mjs).
node scripts/bundle-bin.mjs
# tsc -b sees sources only: the tests are type-checked too.
pnpm exec tsc -p tsconfig.tests.json
pnpm exec tsc -p packages/consumer-infra/tsconfig.tests.json
pnpm exec tsc -p bench/tsconfig.tests.json
# The README examples that are whole programs must compile against the current API.
node scripts/readme-snippets.mjs
pnpm exec tsc -p packages/sdk/.cache/readme-snippets
pnpm exec tsc -p packages/probe/.cache/readme-snippets
mkdir -p .cache
results=.cache/vitest-results.json
rm -f "$results"
status=0
pnpm exec vitest run --typecheck --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$results"
fi
exit "$status"
