#!/bin/sh
# Builds the native addon (build/Release/mizzen_net.node) with node-gyp, which npm provides to
# install scripts. Checks the tool chain first, so that a machine without one fails here, naming
# what to install, instead of failing later when a proxy asks for an original destination.
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing="$missing cc"
command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 || missing="$missing g++"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v node-gyp >/dev/null 2>&1 || missing="$missing node-gyp"
if [ -n "$missing" ]; then
  echo "@mizzen/net: cannot build its native addon: missing${missing}." >&2
  echo "Install a C tool chain and Python 3 (Debian/Ubuntu: apt-get install build-essential python3), then run npm rebuild -w @mizzen/net." >&2
  exit 1
fi
exec node-gyp rebuild
