#!/usr/bin/env bash
# Sets up a fresh machine and runs the local mesh: istiod, and every pod of the sample in its
# own network namespace with its sidecar. Needs root (network namespaces). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx mizzenctl local up "${1:-samples/hello}"
