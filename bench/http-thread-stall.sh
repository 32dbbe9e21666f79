#!/usr/bin/env bash
# The proxy benchmark's multi-second stall, reduced to llama-server alone: K idle kept-alive connections, then m
# new ones at once, against llama-server's fixed HTTP threads (--threads-http), first with llama-server's default
# for --parallel 8 (12 threads), then with the gateway's --threads-http (Parallel + 6 = 14) and the most
# connections the gateway may hold (Parallel + 4 pooled and a spare = 13).
#   bench/http-thread-stall.sh [trials per case]
# results: docs/benchmarks/http-thread-stall.md
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
trials=${1:-5}
bin=$("$root/native/build-llama.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# run_cases <--threads-http or empty for llama-server's default> <fixed threads> <K:m>...
run_cases() {
  local http=$1 fixed=$2
  shift 2
  local extra=()
  [[ -n "$http" ]] && extra=(--threads-http "$http")
  rm -f "$work/llama.sock" # the previous server's: a new one will not bind over it
  "$bin/llama-server" --model "$model" --host "$work/llama.sock" --parallel 8 --ctx-size 4096 --threads 1 --no-webui \
    "${extra[@]}" >"$work/llama.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do curl -sf --unix-socket "$work/llama.sock" http://llama/health >/dev/null && break; sleep 0.1; done
  curl -sf --unix-socket "$work/llama.sock" http://llama/health >/dev/null || { cat "$work/llama.log" >&2; die "llama-server did not start"; }
  log "--threads-http ${http:-default}: cases $*" 
  python3 "$root/bench/http_thread_stall.py" "$work/llama.sock" --fixed "$fixed" --trials "$trials" "$@"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=$(
  run_cases "" 12 9:2 10:2 10:3 11:2 12:2
  run_cases 14 14 11:2 10:3 12:1
)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
out="$root/docs/benchmarks/http-thread-stall.md"
{
  echo "# The stall: a new connection waits for one of llama-server's HTTP threads"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/http-thread-stall.sh $trials\` on $(nproc) cores; load average $load_before before, $load_after after."
  echo "llama-server alone (tiny synthetic model, --parallel 8), on a UNIX socket, no proxy. Each trial holds K connections"
  echo "open and idle after one request each, as a proxy's pool does, then opens m at the same moment and times each one's"
  echo "answer to GET /health; all close, and the next trial starts after llama-server's extra threads have exited."
  echo "'stalled' counts answers over 1 s; 'slowest' is each trial's slowest answer."
  echo
  echo "| fixed HTTP threads | K held idle | fixed threads free | m at once | trials | stalled | slowest per trial, ms |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  echo "$rows"
  echo
  echo "The first five rows use llama-server's default for --parallel 8 (12 threads); the last three the gateway's"
  echo "--threads-http (Parallel + 6 = 14) with at most the connections the gateway may hold (Parallel + 4 pooled and a spare = 13)."
} >"$out"
cat "$out"
