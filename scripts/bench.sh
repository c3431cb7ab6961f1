#!/usr/bin/env bash
# The benchmark (pnpm bench [--json]): servers in their own processes, clients measured in one run.
set -euo pipefail
pnpm exec tsc -b
node bench/dist/main.js "$@"
