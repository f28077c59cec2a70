# Shared by the bench scripts (sourced): tools, ports, processes, and the measures.
# Each process gets a core: the proxies under test core 1, the load generator and the
# upstream core 0, as in ../shared/bench/peer-proxy.sh.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
NODE="$ROOT/node_modules/.bin/node"
HZ=$(getconf CLK_TCK)

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq "$2" >/dev/null 2>&1; }; }
need nginx nginx-light; need wrk wrk; need hey hey; need taskset util-linux

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench: nothing listens on port $1" >&2; return 1; }

# start_upstream PORT BODY_BYTES: nginx answering 200 with a body of that many bytes, on core 0.
start_upstream() {
  local body
  body=$(head -c "$2" /dev/zero | tr '\0' 'x')
  cat >"$work/up-$1.conf" <<CONF
worker_processes 1; daemon off; pid $work/up-$1.pid; error_log $work/up-$1.err;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$1; keepalive_requests 1000000; client_body_buffer_size 64k;
  location / { return 200 "$body"; } } }
CONF
  taskset -c 0 nginx -c "$work/up-$1.conf" & pids+=($!)
  wait_port "$1"
}

# start_nginx_proxy PORT UPSTREAM_PORT MODE: nginx as the peer proxy (http keep-alive, or stream), on core 1.
start_nginx_proxy() {
  if [ "$3" = http ]; then
    cat >"$work/ngx-$1.conf" <<CONF
worker_processes 1; daemon off; pid $work/ngx-$1.pid; error_log $work/ngx-$1.err;
events { worker_connections 4096; }
http { access_log off; upstream up { server 127.0.0.1:$2; keepalive 64; }
  server { listen 127.0.0.1:$1; keepalive_requests 1000000;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
  else
    [ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || apt-get install -y -qq libnginx-mod-stream >/dev/null 2>&1
    cat >"$work/ngx-$1.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1; daemon off; pid $work/ngx-$1.pid; error_log $work/ngx-$1.err;
events { worker_connections 4096; }
stream { server { listen 127.0.0.1:$1; proxy_pass 127.0.0.1:$2; } }
CONF
  fi
  taskset -c 1 nginx -c "$work/ngx-$1.conf" & pids+=($!)
  wait_port "$1"
}

# nginx_worker MASTER_PID: the worker doing the work (what CPU is read from).
nginx_worker() { for _ in $(seq 1 50); do pgrep -P "$1" && return 0; sleep 0.1; done; return 1; }

# start_proxy PORT BOOTSTRAP [DIR] [NODE_FLAGS...]: mizzen-proxy from DIR (the working tree by
# default) on core 1; sets PROXY_PID.
start_proxy() {
  local port=$1 bootstrap=$2 dir=${3:-$ROOT}
  shift 3 || shift $#
  (cd "$dir" && exec taskset -c 1 "$NODE" "$@" apps/proxy/src/main.ts -c "$bootstrap" --log-level warn) >"$work/proxy-$port.log" 2>&1 &
  PROXY_PID=$!
  pids+=("$PROXY_PID")
  wait_port "$port" || { tail -20 "$work/proxy-$port.log" >&2; return 1; }
}

# bootstrap FILE ARGS...: writes a bootstrap with bench/bootstrap.ts.
bootstrap() { local file=$1; shift; "$NODE" "$BENCH_DIR/bootstrap.ts" "$@" >"$file"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_split() { awk '{print $14, $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/{printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# wrk_cpu PID URL SECONDS [WRK_ARGS...]: throughput (32 keep-alive connections) and the CPU the
# process spent per request, in microseconds. Prints "RPS USER_US SYS_US".
wrk_cpu() {
  local pid=$1 url=$2 secs=$3 a b out
  shift 3
  a=($(cpu_split "$pid"))
  out=$(taskset -c 0 wrk -t1 -c32 -d"${secs}s" "$@" "$url")
  b=($(cpu_split "$pid"))
  awk -v n="$(awk '/requests in/{print $1}' <<<"$out")" -v s="$secs" -v u=$((b[0] - a[0])) -v k=$((b[1] - a[1])) -v hz="$HZ" \
    'BEGIN{ if (n == 0) { print "0 0 0"; exit } printf "%.0f %.1f %.1f\n", n / s, u / hz * 1e6 / n, k / hz * 1e6 / n }'
}

# hey_latency URL SECONDS [HEY_ARGS...]: p50 and p99 in ms at 1,000 requests per second
# (10 connections at 100 each). Prints "P50 P99".
hey_latency() {
  local url=$1 secs=$2 out
  shift 2
  out=$(taskset -c 0 hey -z "${secs}s" -q 100 -c 10 "$@" "$url" 2>/dev/null)
  awk '/ 50% in/{p50=$3*1000} / 99% in/{p99=$3*1000} END{printf "%.2f %.2f\n", p50, p99}' <<<"$out"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# baseline_tree REV: a copy of the repository at REV whose workspace packages resolve to that
# copy (the installed dependencies are shared), to measure before and after in the same run.
baseline_tree() {
  local dir link target
  dir="$work/baseline-$(git -C "$ROOT" rev-parse --short "$1")"
  mkdir -p "$dir/node_modules/@mizzen"
  local paths=() path
  for path in apps libs protos package.json tsconfig.base.json; do git -C "$ROOT" cat-file -e "$1:$path" 2>/dev/null && paths+=("$path"); done
  git -C "$ROOT" archive "$1" "${paths[@]}" | tar -x -C "$dir"
  for link in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
    [ "$(basename "$link")" = @mizzen ] || ln -s "$link" "$dir/node_modules/$(basename "$link")"
  done
  for link in "$ROOT"/node_modules/@mizzen/*; do
    target=$(readlink "$link")
    ln -s "$dir/${target#../../}" "$dir/node_modules/@mizzen/$(basename "$link")"
  done
  for link in "$ROOT"/apps/*/node_modules "$ROOT"/libs/*/node_modules "$ROOT"/libs/net/build; do
    [ -e "$link" ] && [ -d "$dir/${link#"$ROOT"/}/.." ] && ln -s "$link" "$dir/${link#"$ROOT"/}"
  done
  echo "$dir"
}

# header LINE: the machine, for the tables.
machine() { echo "$(date -u '+%Y-%m-%d %H:%M') UTC · $(nproc) cores · $(uname -m) · node $("$NODE" -v) · git $(git -C "$ROOT" rev-parse --short HEAD) · load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
