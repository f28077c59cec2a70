#!/usr/bin/env bash
# Lint, type-check and test every package (unit, integration and end-to-end), with Nx's local
# cache. The end-to-end tests create network namespaces, so they run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
# CI runs every task for real; a developer's run reuses Nx's local cache.
cache=()
[ "${CI:-}" = true ] && cache=(--skip-nx-cache)
exec npx nx run-many -t lint typecheck test --outputStyle=stream --parallel=2 "${cache[@]}" "$@"
