#!/usr/bin/env bash
# Measures mizzen-proxy beside nginx and HAProxy in one run (the shared peer benchmark), for
# HTTP/1.1 and TCP, and records the tables with the date and the machine in BENCHMARKS.md.
#
#   bench/proxy-vs-peers.sh [--seconds N] [--rounds N]
#
# The peer script lives in the shared folder beside the repository (../shared/bench), or
# wherever PEER_BENCH points.
set -euo pipefail
cd "$(dirname "$0")/.."
peer=${PEER_BENCH:-../shared/bench/peer-proxy.sh}
[ -f "$peer" ] || { echo "bench: peer benchmark not found at $peer (set PEER_BENCH)" >&2; exit 2; }
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for mode in http tcp; do
  echo "bench: mode $mode" >&2
  {
    echo "### $mode"
    echo
    echo '```'
    bash "$peer" --mode "$mode" "$@" -- mizzen-proxy -c '$BOOTSTRAP'
    echo '```'
    echo
  } >>"$results"
done

{
  echo "## $(date -u +%Y-%m-%d) · $(nproc) cores · $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) · $(uname -m) · node $(node -v) · git $(git rev-parse --short HEAD)"
  echo
  cat "$results"
} >bench/.latest.md
python3 - <<'PY'
import pathlib
path = pathlib.Path('BENCHMARKS.md')
header = path.read_text().split('\n## ', 1)[0] if path.exists() else '# Benchmarks\n'
latest = pathlib.Path('bench/.latest.md').read_text()
rest = path.read_text().split('\n## ', 1)[1] if path.exists() and '\n## ' in path.read_text() else ''
path.write_text(header.rstrip() + '\n\n' + latest + ('\n## ' + rest if rest else ''))
PY
rm -f bench/.latest.md
cat BENCHMARKS.md
