#!/usr/bin/env bash
# CPU microseconds per request of mizzen-proxy beside nginx, measured in alternating rounds
# in the same run: the figure to judge a change by when the machine is shared, since it moves
# far less with the load than requests per second do.
#
#   bench/cpu-per-request.sh [--mode http|tcp] [--seconds N] [--rounds N] [--baseline REV]...
#
# --baseline REV (repeatable) also runs the proxy as of git revision REV, so that before and
# after are measured in the same minute. Each row: median req/s (wrk, 32 keep-alive connections), median
# user and system CPU per request, and the RSS after the run.
source "$(dirname "$0")/lib.sh"
mode=http seconds=3 rounds=5 baselines=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baselines+=("$2"); shift 2 ;;
    *) echo "usage: cpu-per-request.sh [--mode http|tcp] [--seconds N] [--rounds N] [--baseline REV]..." >&2; exit 2 ;;
  esac
done

UP=$(free_port); NGX=$(free_port)
start_upstream "$UP" 20
start_nginx_proxy "$NGX" "$UP" "$mode"
names=(nginx) ports=($NGX) cpu_pids=($(nginx_worker "${pids[-1]}"))
for rev in "${baselines[@]}"; do
  dir=$(baseline_tree "$rev")
  port=$(free_port)
  bootstrap "$work/$port.json" --mode "$mode" --listen "$port" --upstream "$UP" --admin "$(free_port)"
  start_proxy "$port" "$work/$port.json" "$dir"
  names+=("mizzen@$(git -C "$ROOT" rev-parse --short "$rev")") ports+=("$port") cpu_pids+=("$PROXY_PID")
done
port=$(free_port)
bootstrap "$work/proxy.json" --mode "$mode" --listen "$port" --upstream "$UP" --admin "$(free_port)"
start_proxy "$port" "$work/proxy.json"
names+=(mizzen) ports+=("$port") cpu_pids+=("$PROXY_PID")
for p in "${ports[@]}"; do curl -sf -m 3 "http://127.0.0.1:$p/" >/dev/null || { echo "bench: port $p does not forward" >&2; exit 1; }; done

declare -A rps user sys
for _ in $(seq 1 "$rounds"); do
  for i in "${!names[@]}"; do
    read -r r u s < <(wrk_cpu "${cpu_pids[$i]}" "http://127.0.0.1:${ports[$i]}/" "$seconds")
    rps[$i]="${rps[$i]:-} $r" user[$i]="${user[$i]:-} $u" sys[$i]="${sys[$i]:-} $s"
  done
done

echo "$(machine)"
printf '%-16s %10s %10s %10s %10s %8s %8s\n' "mode=$mode" "req/s" "user us" "sys us" "cpu us/rq" "x nginx" "RSS MB"
base_cpu=
for i in "${!names[@]}"; do
  u=$(median <<<"${user[$i]}") s=$(median <<<"${sys[$i]}")
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.1f", u + s}')
  [ -n "$base_cpu" ] || base_cpu=$cpu
  printf '%-16s %10s %10s %10s %10s %8s %8s\n' "${names[$i]}" "$(median <<<"${rps[$i]}")" "$u" "$s" "$cpu" \
    "$(awk -v c="$cpu" -v b="$base_cpu" 'BEGIN{printf "%.2f", c / b}')" "$(rss_mb "${cpu_pids[$i]}")"
done
