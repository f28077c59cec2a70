#!/usr/bin/env bash
# Prepares a fresh machine: the system tools the mesh and its tests use, then the npm
# workspace (which brings the pinned Node 24 into node_modules/.bin).
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v ip >/dev/null 2>&1 || need_packages+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || need_packages+=(iptables)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
command -v setpriv >/dev/null 2>&1 || need_packages+=(util-linux)
# mizzenctl's completion scripts are tested in the shells themselves.
for shell in zsh fish; do command -v "$shell" >/dev/null 2>&1 || need_packages+=("$shell"); done
# libs/net builds a small native addon from source at install.
command -v make >/dev/null 2>&1 || need_packages+=(make)
command -v g++ >/dev/null 2>&1 || need_packages+=(g++)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need ${need_packages[*]} (apt-get as root)" >&2
    exit 1
  fi
  echo "setup: installing ${need_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing the npm workspace"
  npm ci --no-audit --no-fund --loglevel=error
fi
