#!/usr/bin/env bash
# Benchmark (issue 15): several models, started on demand and unloaded when idle. Per model (the tiny, 0.5B- and
# 1.5B-shaped synthetic GGUFs): load time from POST /admin/models/{id}/load to "ready", cold (the file evicted from
# the page cache) and warm; time to first token of a streamed request that starts its unloaded model, against the
# same request with the model loaded; and the gateway's own CPU while every model is unloaded (two configured, none
# preloaded), fresh and after the gateway unloaded one by itself (KeepAliveSeconds). A line per step with an ETA.
#   bench/model-load.sh [--reps N] [--phases load,ttft,idle] [--idle-seconds S] [--models PRESET|ID=GGUF ...] [--help]
#   bench/model-load.sh --dry-run     every step against a stand-in gateway (bench/model_load.py), results in /tmp
# Results: docs/benchmarks/model-load/results.md, with results.json and results.csv beside it. About 9 minutes with
# the defaults on 2 cores; run it on a quiet machine (the load average before and after is written down).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
driver=$root/bench/model_load.py

for arg in "$@"; do
  case $arg in -h | --help) exec python3 "$driver" run --help ;; esac
done
# The arguments are checked before anything is built.
python3 "$driver" run --check "$@"
command -v fincore >/dev/null || log "fincore (util-linux) is missing: the page cache is evicted but not checked"

dry=""
for arg in "$@"; do [[ $arg == --dry-run ]] && dry=1; done
if [[ -n "$dry" ]]; then
  exec python3 "$driver" run --root="$root" "$@"
fi

command -v dotnet >/dev/null || die "the .NET 10 SDK is required"
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
log "building the gateway"
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
exec python3 "$driver" run --root="$root" --dll="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" \
  --bin="$bin" --launcher="$launcher" "$@"
