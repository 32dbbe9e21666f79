#!/usr/bin/env bash
# Benchmark: the default profile (Invisible) on a machine busy with one CPU-bound process per core, against the
# same on a quiet machine, and against strict yield (idle priority always: the behaviour before) in the same run.
#   bench/busy-machine.sh [variant...]      variants: default strict-yield (both by default)
# Results: docs/benchmarks/busy-machine.md. About 3 minutes a variant on 2 cores, plus up to CEILING seconds
# (default 300) for a variant that does not load on the busy machine. Never beside another benchmark.
# REQUESTS (default 5) short requests per phase; CEILING; RESULTS=FILE keeps the raw rows and adds to them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" qwen2.5-0.5b)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dll="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=${RESULTS:-$work/results.jsonl}
start=$(date +%s)
variants=("$@")
python3 "$root/bench/busy_machine.py" run --dll "$dll" --model "$model" --bin "$bin" --launcher "$launcher" \
  --out "$results" --work "$work" --requests "${REQUESTS:-5}" --ceiling "${CEILING:-300}" ${variants[@]:+--variants "${variants[@]}"}
minutes=$(( ($(date +%s) - start + 59) / 60 ))

out="$root/docs/benchmarks/busy-machine.md"
{
  echo "# The default profile on a busy machine"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/busy-machine.sh${*:+ $*}\` (${minutes} min) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -r)."
  echo "Model: the qwen2.5-0.5b-shaped synthetic GGUF (\`scripts/synthetic-model.sh qwen2.5-0.5b\`), context 4096, default profile"
  echo "\`Invisible\` (35 % of the machine, capped, yielding). *Busy*: one CPU-bound process per core (\`sh -c 'while :; do :; done'\`)"
  echo "at normal priority, started before the gateway, as a build would be. Each phase starts a fresh gateway."
  echo "A short request: about 100 prompt tokens (distinct, \`cache_prompt\` false), 32 tokens out (\`ignore_eos\`), one at a time,"
  echo "${REQUESTS:-5} per phase after one warm-up (p50 of those). Foreground loss: the CPU the busy processes did not get, in percent of the"
  echo "machine, against their own rate alone measured before and after (10 s windows), from \`/proc/PID/stat\`."
  echo "\`strict-yield\` is \`Cpu:LatencyBudgetMilliseconds=-1\`: idle priority always, loading included, the behaviour before."
  echo
  python3 "$root/bench/busy_machine.py" report "$results"
} >"$out"
cat "$out"
