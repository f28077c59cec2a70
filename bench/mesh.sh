#!/usr/bin/env bash
# The mesh's real path: client -> client-side proxy -> server-side proxy -> server, against
# the client calling the server directly. At 1,000 requests per second (hey: 10 connections at
# 100 each) with 1 KB request and response bodies, it reports the latency the two proxies add
# (p50, p90, p99) and the CPU each proxy used, in cores, at that rate.
#
#   bench/mesh.sh [--seconds N] [--rounds N]
#
# Each proxy runs the bench chain (HTTP connection manager with route matching and
# x-request-id, router, stats; no TLS): the client side's cluster is named as istiod names an
# outbound cluster and points at the server side's listener; the server side's is the inbound
# cluster pointing at the server. Both proxies share core 1; client and server share core 0.
source "$(dirname "$0")/lib.sh"
seconds=10 rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: mesh.sh [--seconds N] [--rounds N]" >&2; exit 2 ;;
  esac
done

SERVER=$(free_port); CLIENT_SIDE=$(free_port); SERVER_SIDE=$(free_port)
start_upstream "$SERVER" 1024
bootstrap "$work/server-side.json" --listen "$SERVER_SIDE" --upstream "$SERVER" --admin "$(free_port)" --cluster 'inbound|8080||'
bootstrap "$work/client-side.json" --listen "$CLIENT_SIDE" --upstream "$SERVER_SIDE" --admin "$(free_port)" --cluster 'outbound|8080||server.bench.svc.cluster.local'
start_proxy "$SERVER_SIDE" "$work/server-side.json"
server_side=$PROXY_PID
start_proxy "$CLIENT_SIDE" "$work/client-side.json"
client_side=$PROXY_PID
head -c 1024 /dev/zero | tr '\0' 'y' >"$work/body"
[ "$(curl -sf -m 3 --data-binary @"$work/body" "http://127.0.0.1:$CLIENT_SIDE/" | wc -c)" = 1024 ] || { echo "bench: the mesh path does not answer 1 KB" >&2; exit 1; }

# latency URL: "P50 P90 P99" in ms, and the request rate hey reached.
latency() {
  taskset -c 0 hey -z "${seconds}s" -q 100 -c 10 -m POST -D "$work/body" -T application/octet-stream "$1" 2>/dev/null \
    | awk '/Requests\/sec/{r=$2} / 50% in/{a=$3*1000} / 90% in/{b=$3*1000} / 99% in/{c=$3*1000} END{printf "%.3f %.3f %.3f %.0f\n", a, b, c, r}'
}
declare -a d50 d90 d99 m50 m90 m99 cpu_c cpu_s rates
for _ in $(seq 1 "$rounds"); do
  read -r a b c _ < <(latency "http://127.0.0.1:$SERVER/")
  d50+=("$a") d90+=("$b") d99+=("$c")
  c0=$(cpu_ticks "$client_side") s0=$(cpu_ticks "$server_side")
  read -r a b c r < <(latency "http://127.0.0.1:$CLIENT_SIDE/")
  c1=$(cpu_ticks "$client_side") s1=$(cpu_ticks "$server_side")
  m50+=("$a") m90+=("$b") m99+=("$c") rates+=("$r")
  cpu_c+=("$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v s="$seconds" 'BEGIN{printf "%.3f", t / hz / s}')")
  cpu_s+=("$(awk -v t=$((s1 - s0)) -v hz="$HZ" -v s="$seconds" 'BEGIN{printf "%.3f", t / hz / s}')")
done
med() { median <<<"$*"; }

echo "$(machine)"
echo "1 KB request and response bodies, hey at 1,000 req/s (reached $(med "${rates[@]}")); medians of $rounds rounds"
printf '%-34s %9s %9s %9s\n' "" "p50 ms" "p90 ms" "p99 ms"
printf '%-34s %9s %9s %9s\n' "client -> server (direct)" "$(med "${d50[@]}")" "$(med "${d90[@]}")" "$(med "${d99[@]}")"
printf '%-34s %9s %9s %9s\n' "client -> proxy -> proxy -> server" "$(med "${m50[@]}")" "$(med "${m90[@]}")" "$(med "${m99[@]}")"
printf '%-34s %9s %9s %9s\n' "added by the two proxies" \
  "$(awk -v a="$(med "${m50[@]}")" -v b="$(med "${d50[@]}")" 'BEGIN{printf "%.3f", a - b}')" \
  "$(awk -v a="$(med "${m90[@]}")" -v b="$(med "${d90[@]}")" 'BEGIN{printf "%.3f", a - b}')" \
  "$(awk -v a="$(med "${m99[@]}")" -v b="$(med "${d99[@]}")" 'BEGIN{printf "%.3f", a - b}')"
echo "CPU at that rate: client-side proxy $(med "${cpu_c[@]}") cores, server-side proxy $(med "${cpu_s[@]}") cores; RSS $(rss_mb "$client_side") MB and $(rss_mb "$server_side") MB"
