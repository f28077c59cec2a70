#!/usr/bin/env bash
# mizzen-proxy's memory: RSS idle, RSS at 1,000 requests per second (the highest sample over
# the run), and what the V8 heap holds (a heap snapshot summarised by bench/heap-summary.ts).
#
#   bench/memory.sh [--seconds N] [--vhosts N] [--routes M]
#
# The proxy starts as the mizzen-proxy command does (bin/mizzen-proxy.js, the compile cache
# warm: the second start is measured). It runs the bench bootstrap (bench/bootstrap.ts: HTTP chain, one cluster); with
# --vhosts/--routes its route configuration has that many virtual hosts and routes.
source "$(dirname "$0")/lib.sh"
seconds=10 vhosts=1 routes=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --vhosts) vhosts=$2; shift 2 ;;
    --routes) routes=$2; shift 2 ;;
    *) echo "usage: memory.sh [--seconds N] [--vhosts N] [--routes M]" >&2; exit 2 ;;
  esac
done

UP=$(free_port); PORT=$(free_port); ADMIN=$(free_port)
start_upstream "$UP" 20
target=$(bootstrap "$work/proxy.json" --listen "$PORT" --upstream "$UP" --admin "$ADMIN" --vhosts "$vhosts" --routes "$routes" 2>&1 >/dev/null)
host=127.0.0.1 path=/
if [ -n "$target" ]; then host=${target#host=}; host=${host%% *}; path=${target##*path=}; fi
mkdir -p "$work/snap"
# As the command runs: through bin/mizzen-proxy.js, with a compile cache of its own that a
# first start fills (stopped by SIGTERM, it writes the cache on the way out).
export NODE_COMPILE_CACHE="$work/compile-cache"
launch() {
  (cd "$ROOT" && exec taskset -c 1 "$NODE" "$@" apps/proxy/bin/mizzen-proxy.js -c "$work/proxy.json" --log-level warn --drain-time-s 0) >>"$work/proxy.log" 2>&1 &
  PROXY_PID=$!
  pids+=("$PROXY_PID")
  wait_port "$PORT" || { tail -20 "$work/proxy.log" >&2; exit 1; }
}
launch
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
while (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; do sleep 0.1; done
launch --heapsnapshot-signal=SIGUSR2 --diagnostic-dir="$work/snap"
pid=$PROXY_PID
curl -sf -m 3 -H "Host: $host" "http://127.0.0.1:$PORT$path" >/dev/null || { echo "bench: the proxy does not forward" >&2; exit 1; }
sleep 3
idle=$(rss_mb "$pid")
heap_idle=$(curl -s "http://127.0.0.1:$ADMIN/stats?filter=server.memory_allocated" | awk '{printf "%.1f", $2 / 1048576}')

taskset -c 0 hey -z "${seconds}s" -q 100 -c 10 -host "$host" "http://127.0.0.1:$PORT$path" >"$work/hey.txt" 2>&1 &
load=$!
peak=0
while kill -0 "$load" 2>/dev/null; do
  peak=$(awk -v a="$peak" -v b="$(rss_mb "$pid")" 'BEGIN{print (b > a ? b : a)}')
  sleep 0.5
done
wait "$load"
busy_last=$(rss_mb "$pid")
heap_busy=$(curl -s "http://127.0.0.1:$ADMIN/stats?filter=server.memory_allocated" | awk '{printf "%.1f", $2 / 1048576}')
rate=$(awk '/Requests\/sec/{printf "%.0f", $2}' "$work/hey.txt")

kill -USR2 "$pid"
snap=
for _ in $(seq 1 300); do
  snap=$(ls "$work"/snap/*.heapsnapshot 2>/dev/null | head -1)
  # The snapshot is written in one go; the admin answers again once it is done.
  [ -n "$snap" ] && curl -sf -m 1 "http://127.0.0.1:$ADMIN/ready" >/dev/null && break
  sleep 0.2
done

echo "$(machine)"
echo "route table: $vhosts virtual hosts x $routes routes"
printf '%-28s %8s %8s\n' "" "RSS MB" "heap MB"
printf '%-28s %8s %8s\n' "idle (3 s after start)" "$idle" "$heap_idle"
printf '%-28s %8s %8s\n' "at $rate req/s (peak)" "$peak" "$heap_busy"
printf '%-28s %8s\n' "at $rate req/s (end)" "$busy_last"
echo
"$NODE" "$BENCH_DIR/heap-summary.ts" "$snap" --top 15
