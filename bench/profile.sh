#!/usr/bin/env bash
# Where mizzen-proxy's time goes under load: a V8 CPU profile taken while wrk drives the bench
# chain (summarised by bench/profile-summary.ts), and the system calls per proxied request
# counted by strace over a fixed number of requests (nginx needs two reads and two writes).
#
#   bench/profile.sh [--mode http|tcp] [--seconds N] [--keep DIR]
#
# --keep DIR leaves the .cpuprofile there (for Chrome's DevTools or speedscope).
source "$(dirname "$0")/lib.sh"
need strace strace
mode=http seconds=10 keep=
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: profile.sh [--mode http|tcp] [--seconds N] [--keep DIR]" >&2; exit 2 ;;
  esac
done

UP=$(free_port); PORT=$(free_port)
start_upstream "$UP" 20
bootstrap "$work/proxy.json" --mode "$mode" --listen "$PORT" --upstream "$UP" --admin "$(free_port)"

# System calls, on a proxy without the profiler (its sampling thread adds futex calls).
# strace slows the proxy down, so it counts over a fixed number of requests.
start_proxy "$PORT" "$work/proxy.json"
pid=$PROXY_PID
curl -sf -m 3 "http://127.0.0.1:$PORT/" >/dev/null || { echo "bench: the proxy does not forward" >&2; exit 1; }
requests=4000
timeout 60 strace -f -c -o "$work/strace.txt" -p "$pid" 2>/dev/null &
tracer=$!
sleep 1
taskset -c 0 hey -n "$requests" -c 8 "http://127.0.0.1:$PORT/" >/dev/null 2>&1
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
kill "$pid"; wait "$pid" 2>/dev/null || true

mkdir -p "$work/prof"
start_proxy "$PORT" "$work/proxy.json" "$ROOT" --cpu-prof --cpu-prof-dir="$work/prof"
pid=$PROXY_PID

taskset -c 0 wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:$PORT/" >"$work/wrk.txt"
kill -INT "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
profile=$(ls "$work"/prof/*.cpuprofile)

echo "$(machine)"
echo "mode=$mode: $(awk '/Requests\/sec/{print $2}' "$work/wrk.txt") req/s under wrk while profiling"
echo
echo "system calls per request (strace -c over $requests requests, 8 connections):"
awk -v n="$requests" '$NF ~ /^(read|readv|recvfrom|write|writev|sendto|sendmsg|epoll_wait|epoll_pwait|futex)$/ { printf "  %-12s %6.2f\n", $NF, $4 / n }' "$work/strace.txt"
echo
"$NODE" "$BENCH_DIR/profile-summary.ts" "$profile" --top 30
if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$profile" "$keep/"; echo "profile kept in $keep/$(basename "$profile")"; fi
