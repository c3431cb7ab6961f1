#!/usr/bin/env bash
# The demo (npm run demo): builds, starts the emulated producer, then runs the probe and an SDK call.
set -euo pipefail
pnpm exec tsc -b
node examples/demo/dist/main.js "$@"
