#!/usr/bin/env bash
# Benchmark: the latency the gateway adds in front of llama-server, against llama-server itself, against
# nginx as a plain reverse proxy and against a bare ASP.NET Core proxy (bench/BareProxy: the floor of the
# gateway's stack), all in front of the SAME llama-server process (the gateway's own child, reached on its
# UNIX socket with its key), in one run, interleaved.
#   bench/proxy-latency.sh [requests-per-cell] [warm-up requests per client] [think ms]
# results (OUT=file to write elsewhere): docs/benchmarks/proxy-latency.md, or with a think time (each client waits that long after every
# request, so the proxies' threads fall asleep in between: sporadic traffic) proxy-latency-think-<ms>ms.md
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
requests=${1:-2000}
warmup=${2:-100}
think=${3:-0}

require_tools nginx:nginx-light
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$root/bench/BareProxy" -c Release --nologo -v quiet -clp:ErrorsOnly >&2

work=$(mktemp -d)
gateway_pid="" bare_pid=""
cleanup() {
  [[ -n "$bare_pid" ]] && kill "$bare_pid" 2>/dev/null && wait "$bare_pid" 2>/dev/null
  [[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

gw_port=18480 nginx_port=18481 bare_port=18482
# Four clients share this llama-server: the gateway (at most Parallel + 5 connections), nginx (up to 8 busy and 16
# idle kept), the bare proxy (its own pool) and the load generator (8). Every open connection holds one of
# llama-server's fixed HTTP threads, and one beyond them can wait up to 5 s (docs/benchmarks/http-thread-stall.md):
# the gateway's default (Parallel + 6) covers the gateway alone, so the run gives llama-server enough for all four.
Model__Path=$model LlamaServer__HttpThreads=${HTTP_THREADS:-64} LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher \
  LlamaServer__Parallel=8 LlamaServer__ContextSize=4096 Cpu__Profile=Fast Cpu__Threads=1 \
  Logging__LogLevel__Default=Warning ASPNETCORE_URLS=http://127.0.0.1:$gw_port \
  dotnet "$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$gw_port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$gw_port/ready" >/dev/null || { cat "$work/gateway.log" >&2; die "the gateway did not become ready"; }

# The child's socket and key, from its command line (root, or the same user, can read them).
child=$(curl -s "http://127.0.0.1:$gw_port/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
mapfile -d '' argv <"/proc/$child/cmdline"
for i in "${!argv[@]}"; do
  [[ "${argv[$i]}" == --host ]] && socket=${argv[$((i + 1))]}
  [[ "${argv[$i]}" == --api-key-file ]] && key=$(cat "${argv[$((i + 1))]}")
done

cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
user root;  # the socket sits in the gateway's private 0700 directory
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream llama { server unix:$socket; keepalive 16; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://llama;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $key";
      # llama-server closes the connection after a stream although it announced keep-alive; the next
      # request nginx sends on it fails, and nginx retries a POST only when told to (the gateway instead
      # asks for Connection: close on streams). Without this nginx answers 502 to a few requests.
      proxy_next_upstream error timeout non_idempotent;
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf"

dotnet "$root/bench/BareProxy/bin/Release/net10.0/BareProxy.dll" "$socket" "$key" "http://127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
bare_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$bare_port/" && break; sleep 0.1; done

out=${OUT:-"$root/docs/benchmarks/proxy-latency.md"}
command="bench/proxy-latency.sh $requests $warmup" pace=""
if [[ "$think" != 0 ]]; then
  out=${OUT:-"$root/docs/benchmarks/proxy-latency-think-${think}ms.md"}
  command+=" $think" pace=" Each client waits $think ms after every request."
fi
mkdir -p "$(dirname "$out")"
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | paste -sd,)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
table=$(python3 "$root/bench/proxy_latency.py" --requests "$requests" --warmup "$warmup" --think "$think" \
  --watch "$child" --slow "$work/slow.txt" \
  --header "llama-server:Authorization: Bearer $key" --cpu "gateway:$gateway_pid" --cpu "nginx:$nginx_worker" --cpu "bare-aspnetcore:$bare_pid" \
  "llama-server=unix:$socket" "nginx=http://127.0.0.1:$nginx_port" "bare-aspnetcore=http://127.0.0.1:$bare_port" \
  "gateway=http://127.0.0.1:$gw_port")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
http_threads=$(tr '\0' ' ' <"/proc/$child/cmdline" | grep -o 'threads-http [0-9]*' | cut -d' ' -f2 || true)
{
  echo "# Proxy latency: gateway vs nginx vs llama-server itself"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`$command\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB."
  echo "All paths reach the same llama-server (the gateway's child: tiny synthetic model, --parallel 8, --threads 1);"
  echo "rounds are interleaved (20 a cell, after $warmup unmeasured requests per client and path).$pace"
  echo "'added' is the difference to llama-server reached directly on its UNIX socket: of all samples pooled, and"
  echo "as the median of the per-round differences (each round of a proxy runs right after one of llama-server, so"
  echo "drift on the shared machine cancels), with the middle half of the rounds in brackets."
  echo "'proxy CPU' is the proxy's own CPU time (user + system, from /proc) per request: the gateway's whole"
  echo "process (it also reads llama-server's log and samples CPU), the nginx worker, the bare proxy's process."
  echo "bare-aspnetcore is bench/BareProxy: Kestrel in, HttpMessageInvoker out, each chunk written as it comes, with the"
  echo "gateway's runtime settings and nothing else (no validation, admission, metrics, spare connection or child to watch):"
  echo "the floor of the gateway's stack on this machine."
  echo "'p99/p50' and 'max/median' are each path's own tail; 'max ms' its slowest request."
  echo "llama-server ran with ${http_threads:-its default number of} fixed HTTP threads; load average (1, 5, 15 min) $load_before before, $load_after after."
  echo
  echo "$table"
  echo
  if [[ -s "$work/slow.txt" ]]; then
    echo "Requests over 10x their path's median (start, UTC):"
    echo
    sed 's/^/    /' "$work/slow.txt"
  else
    echo "No request took over 10x its path's median."
  fi
} >"$out"
cat "$out"
