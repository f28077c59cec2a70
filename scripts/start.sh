#!/usr/bin/env bash
# Sets up a fresh machine and runs the local Bookinfo mesh: istiod, the ingress gateway, and
# every pod in its own network namespace with iptables capture and its sidecar. Needs root
# (network namespaces, routes, iptables). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec mizzenctl local up "${1:-samples/bookinfo/manifests}"
