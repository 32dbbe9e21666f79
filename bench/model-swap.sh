#!/usr/bin/env bash
# Benchmark (issue 16): several models within one memory and one CPU budget, on the synthetic models (tiny and the
# 0.5B-shaped one by default). Swap time between two models that cannot both fit (one evicted, the other loaded)
# against a loaded model and a plain load on demand; the CPU of two busy models per 100 ms sample against the budget
# (Custom 50 % Cap and the default Invisible) with each model's share; the first request after a reload with a
# ~1,000-token system prompt, with the prompt cache kept across the unload and without. A line per step with an ETA.
#   bench/model-swap.sh [--reps N] [--phases swap,cpu,cache] [--window S] [--models PRESET|ID=GGUF ...] [--help]
#   bench/model-swap.sh --quick     1 repetition and 5 s windows, results in /tmp (to try the script)
# Results: docs/benchmarks/model-swap/results.md, with results.json, results.csv and cpu-samples.png beside it. About
# 6 minutes with the defaults on 2 cores; run it on a quiet machine (the load average before and after is written down).
# The driver is bench/model_swap.py; it reuses bench/model_load.py's gateway start, progress line and checks.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
driver=$root/bench/model_swap.py

for arg in "$@"; do
  case $arg in -h | --help) exec python3 "$driver" run --help ;; esac
done
# The arguments are checked before anything is built.
python3 "$driver" run --check "$@"

command -v dotnet >/dev/null || die "the .NET 10 SDK is required"
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
log "building the gateway"
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
exec python3 "$driver" run --root="$root" --dll="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" \
  --bin="$bin" --launcher="$launcher" "$@"
