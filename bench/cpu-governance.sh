#!/usr/bin/env bash
# Benchmark: the CPU governance strategies for llama-server on a prefill-heavy request, one fresh gateway
# per strategy: the child's and the system's CPU at 100 ms, prefill and decode time, and what a
# concurrent CPU-bound job loses meanwhile.
#   bench/cpu-governance.sh [strategy...]     results: docs/benchmarks/cpu-governance.md
# Strategies (default: all, in this order): no-cap threads-only cgroup-cap cpulimit budget-plan yield
# plan-yield invisible. Needs root for the cgroup rows; 2 to 5 minutes a strategy on 2 cores.
# RESULTS=FILE keeps the raw rows in FILE and adds to it: a strategy measured again replaces its row on
# the page, e.g. after a row was spoiled by other load:  RESULTS=/tmp/cpu.jsonl bench/cpu-governance.sh yield
# Never run it beside another benchmark: other load skews every number (the page shows how much there was).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"

require_tools cpulimit
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" qwen2.5-0.5b)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dll="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"

work=$(mktemp -d)
results=${RESULTS:-$work/results.jsonl}
runner_pid=""
cleanup() {
  # The runner stops each gateway itself; this covers an interrupted run.
  [[ -n "$runner_pid" ]] && kill "$runner_pid" 2>/dev/null && wait "$runner_pid" 2>/dev/null
  if [[ -f "$work/gateway.pid" ]]; then
    gw=$(cat "$work/gateway.pid")
    kill "$gw" 2>/dev/null && for _ in $(seq 100); do kill -0 "$gw" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$gw" 2>/dev/null || true
  fi
  [[ -n "${KEEP:-}" ]] && log "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
python3 "$root/bench/cpu_governance.py" run --dll "$dll" --model "$model" --bin "$bin" --launcher "$launcher" \
  --results "$results" --work "$work" "$@" &
runner_pid=$!
wait "$runner_pid" || die "the benchmark failed (gateway logs: rerun with KEEP=1 to keep $work)"
runner_pid=""
minutes=$(( ($(date +%s) - start + 59) / 60 ))

out="$root/docs/benchmarks/cpu-governance.md"
mkdir -p "$(dirname "$out")"
tables=$(python3 "$root/bench/cpu_governance.py" report "$results")
tokens=$(python3 -c 'import json,sys; print(sorted({json.loads(l)["a"]["usage"]["prompt_tokens"] for l in open(sys.argv[1]) if l.strip()}))' "$results" | tr -d '[]')
{
  echo "# CPU governance: strategies for holding llama-server to a CPU budget"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`${RESULTS:+RESULTS=… }bench/cpu-governance.sh${*:+ $*}\` (${minutes} min) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r)."
  echo "Model: the qwen2.5-0.5b-shaped synthetic GGUF (\`scripts/synthetic-model.sh qwen2.5-0.5b\`, random weights, real tokenizer), context 4096."
  echo "Workload per strategy: a fresh gateway; one short warm-up request; then one chat completion of ${tokens} prompt tokens"
  echo "(numbered sentences), \`max_tokens\` 16, \`cache_prompt\` false, temperature 0. Prefill and decode time are"
  echo "llama-server's own (\`timings.prompt_ms\`, \`timings.predicted_ms\`)."
  echo
  echo "CPU is in percent of the whole machine ($(nproc) cores = 100 %), sampled every 100 ms by the benchmark itself from"
  echo "every thread of llama-server (\`/proc/PID/task/*/schedstat\`) and from \`/proc/stat\`, over the request alone, with"
  echo "nothing else of the benchmark running. The concurrent job (two processes counting Python loop iterations) runs"
  echo "in a separate pass: alone for 10 s, then for 15 s while the same request prefills (then abandoned), then alone"
  echo "again for 10 s once llama-server is idle; loss = 1 - during / mean(alone). Either pass is repeated (up to 3 times, the cleanest kept) when others used more than 10 %"
  echo "of the machine meanwhile (other users of this shared machine; see *others* below). 'as applied to the child' is read"
  echo "from the running child (command line, affinity, scheduling policy, cgroup quota and cpu.idle, cpulimit process),"
  echo "not from the plan; ⚠ marks a row where it differs from the plan or the plan from the strategy."
  echo
  echo "$tables"
} >"$out"
cat "$out"
