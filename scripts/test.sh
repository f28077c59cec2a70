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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
npx nx run-many -t lint typecheck test --outputStyle=stream --parallel=2 "${cache[@]}" "$@" 2>&1 | tee "$log" || status=$?
# One closing line that adds up every package's vitest summary ("Tests  N failed | N passed"),
# and the test files that failed as a whole (a failing beforeAll skips their tests).
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  / Tests +[0-9]/ { for (i = 2; i <= NF; i++) { if ($i ~ /^passed/) p += $(i - 1); if ($i ~ /^failed/) f += $(i - 1); if ($i ~ /^skipped/) s += $(i - 1) } }
  / Test Files +[0-9]/ { for (i = 3; i <= NF; i++) if ($i ~ /^failed/) ff += $(i - 1) }
  END { printf "tests: %d passed, %d failed%s%s\n", p, f, (s ? ", " s " skipped" : ""), (ff ? ", " ff " test files failed" : "") }'
exit "$status"
