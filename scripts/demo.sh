#!/usr/bin/env bash
# The demo (npm run demo): builds, starts the emulated producer, then runs the probe and an SDK call.
set -euo pipefail
pnpm exec tsc -b
# The bundle the mtls-probe bin runs (packages/probe/dist/bundle/; see scripts/bundle-bin.mjs).
node scripts/bundle-bin.mjs
node examples/demo/dist/main.js "$@"
