#!/usr/bin/env bash
# The test command (npm test): lint, type-check and build every package, then run every vitest
# project (unit, integration against loopback servers, CLI end to end, type tests).
set -euo pipefail
pnpm exec biome check .
pnpm exec tsc -b
pnpm exec vitest run --typecheck "$@"
