#!/usr/bin/env bash
# The benchmark (pnpm bench [--json] [--quick] [--requests N] [--rounds N] [--cpu-prof]): SDK and undici
# in interleaved pairs, each client and each server in a process of its own; see bench/README.md.
set -euo pipefail
pnpm exec tsc -b
# The bundle the mtls-probe bin runs (packages/probe/dist/bundle/; see scripts/bundle-bin.mjs).
node scripts/bundle-bin.mjs
node bench/dist/main.js "$@"
