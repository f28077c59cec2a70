#!/usr/bin/env bash
# Does the route table slow the path? mizzen-proxy with one route against the same proxy with
# a sidecar-sized route configuration (1,000 virtual hosts of 10 routes each by default, made
# by bench/bootstrap.ts), the request matching the last route of the last virtual host; nginx
# beside them for scale. Alternating rounds in the same run.
#
#   bench/route-table.sh [--vhosts N] [--routes M] [--seconds N] [--rounds N]
#
# Each row: median req/s (wrk, 32 keep-alive connections), median CPU per request, p50/p99 at
# 1,000 requests per second (hey), RSS. The last line: the large table's figures over the
# one-route figures (the target is within 10%).
source "$(dirname "$0")/lib.sh"
vhosts=1000 routes=10 seconds=3 rounds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --vhosts) vhosts=$2; shift 2 ;;
    --routes) routes=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: route-table.sh [--vhosts N] [--routes M] [--seconds N] [--rounds N]" >&2; exit 2 ;;
  esac
done

UP=$(free_port); NGX=$(free_port); ONE=$(free_port); MANY=$(free_port)
start_upstream "$UP" 20
start_nginx_proxy "$NGX" "$UP" http
ngx_pid=$(nginx_worker "${pids[-1]}")
bootstrap "$work/one.json" --listen "$ONE" --upstream "$UP" --admin "$(free_port)"
start_proxy "$ONE" "$work/one.json"
one_pid=$PROXY_PID
target=$(bootstrap "$work/many.json" --listen "$MANY" --upstream "$UP" --admin "$(free_port)" --vhosts "$vhosts" --routes "$routes" 2>&1 >/dev/null)
host=${target#host=}; host=${host%% *}; path=${target##*path=}
start_proxy "$MANY" "$work/many.json"
many_pid=$PROXY_PID
curl -sf -m 3 -H "Host: $host" "http://127.0.0.1:$MANY$path" >/dev/null || { echo "bench: the last route does not forward" >&2; exit 1; }
# The table's first route, under the same host, must not lead upstream: the match is real.
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "http://127.0.0.1:$MANY/api/v0/items")" != 200 ] || { echo "bench: a decoy route answered 200" >&2; exit 1; }

names=(nginx "mizzen-1-route" "mizzen-${vhosts}x${routes}")
urls=("http://127.0.0.1:$NGX$path" "http://127.0.0.1:$ONE$path" "http://127.0.0.1:$MANY$path")
cpu_pids=("$ngx_pid" "$one_pid" "$many_pid")
declare -A rps cpu
for _ in $(seq 1 "$rounds"); do
  for i in "${!names[@]}"; do
    read -r r u s < <(wrk_cpu "${cpu_pids[$i]}" "${urls[$i]}" "$seconds" -H "Host: $host")
    rps[$i]="${rps[$i]:-} $r" cpu[$i]="${cpu[$i]:-} $(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}')"
  done
done
declare -A p50 p99
for i in "${!names[@]}"; do read -r p50[$i] p99[$i] < <(hey_latency "${urls[$i]}" "$seconds" -host "$host"); done

echo "$(machine)"
echo "route table: $vhosts virtual hosts x $routes routes; request Host $host, path $path"
printf '%-20s %10s %10s %10s %10s %8s\n' "" "req/s" "cpu us/rq" "p50 ms@1k" "p99 ms@1k" "RSS MB"
for i in "${!names[@]}"; do
  printf '%-20s %10s %10s %10s %10s %8s\n' "${names[$i]}" "$(median <<<"${rps[$i]}")" "$(median <<<"${cpu[$i]}")" "${p50[$i]}" "${p99[$i]}" "$(rss_mb "${cpu_pids[$i]}")"
done
awk -v r1="$(median <<<"${rps[1]}")" -v r2="$(median <<<"${rps[2]}")" -v c1="$(median <<<"${cpu[1]}")" -v c2="$(median <<<"${cpu[2]}")" \
  'BEGIN{printf "large table over one route: req/s %.2f, cpu per request %.2f\n", r2 / r1, c2 / c1}'
