#!/usr/bin/env bash
# Benchmark: what the CPU sampler costs the gateway, as the gateway's own CPU (utime+stime from
# /proc/PID/stat) over an idle period, sampling every 100 ms against every 10 s, alternated.
#   bench/sampler-cost.sh [seconds-per-run] [rounds]    results: docs/benchmarks/sampler-cost.md
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
seconds=${1:-30} rounds=${2:-2}

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
hz=$(getconf CLK_TCK)
port=18490 gateway_pid=""
trap '[[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

# run INTERVAL_MS: prints the gateway's CPU over the idle period in percent of one core.
run() {
  Model__Path=$model LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher \
    Cpu__Profile=Balanced CpuSampler__IntervalMilliseconds=$1 Logging__LogLevel__Default=Warning \
    ASPNETCORE_URLS=http://127.0.0.1:$port dotnet "$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" >/dev/null 2>&1 &
  gateway_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || die "the gateway did not become ready on port $port"
  sleep 3   # start-up work (JIT, first requests) settles
  local a b
  a=$(awk '{print $14 + $15}' "/proc/$gateway_pid/stat")
  sleep "$seconds"
  b=$(awk '{print $14 + $15}' "/proc/$gateway_pid/stat")
  kill "$gateway_pid"
  for _ in $(seq 100); do kill -0 "$gateway_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true; gateway_pid=""
  python3 -c "print(f'{($b - $a) / $hz / $seconds * 100:.2f}')"
}

rows="" fast=() slow=()
for r in $(seq "$rounds"); do
  f=$(run 100); s=$(run 10000)
  fast+=("$f"); slow+=("$s")
  rows+="| $r | $f | $s | $(python3 -c "print(f'{$f - $s:+.2f}')") |"$'\n'
  log "round $r: 100 ms $f %, 10 s $s %"
done
mean() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print(f'{sum(v)/len(v):.2f}')" "$@"; }
out="$root/docs/benchmarks/sampler-cost.md"
{
  echo "# CPU sampler cost"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/sampler-cost.sh $seconds $rounds\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo "The gateway idle (tiny model loaded, Balanced profile, so the child's CPU comes from its cgroup), its own CPU"
  echo "over ${seconds} s in percent of one core, sampling every 100 ms against every 10 s; the difference is the sampler's cost."
  echo "Clock ticks are ${hz} per second, so one run resolves $(python3 -c "print(f'{100 / $hz / $seconds * 100:.3f}')") % of a core."
  echo
  echo "| round | every 100 ms % | every 10 s % | difference |"
  echo "| --- | --- | --- | --- |"
  printf '%s' "$rows"
  echo "| mean | $(mean "${fast[@]}") | $(mean "${slow[@]}") | $(python3 -c "print(f'{$(mean "${fast[@]}") - $(mean "${slow[@]}"):+.2f}')") |"
  echo
  echo "Target (issue 5): under 0.2 % of one core."
} >"$out"
cat "$out"
