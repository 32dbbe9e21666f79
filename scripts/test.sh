#!/usr/bin/env bash
# The test command: installs what is missing, builds llama.cpp (cached), writes the synthetic test
# model (cached), then runs every test in the solution against them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
started=$SECONDS

command -v dotnet >/dev/null || die "the .NET 10 SDK is required: https://dot.net"
require_tools cpulimit:cpulimit prometheus:prometheus   # cpulimit: the CPU governance tests; prometheus (with promtool): PrometheusTests
LLMGW_LLAMA_BIN=$("$root/native/build-llama.sh")
LLMGW_LLAMA_SRC=$("$root/native/fetch-llama-source.sh")
LLMGW_TEST_MODEL=$("$root/scripts/synthetic-model.sh" tiny)
LLMGW_LAUNCHER=$("$root/native/build-launcher.sh")
export LLMGW_LLAMA_BIN LLMGW_LLAMA_SRC LLMGW_TEST_MODEL LLMGW_LAUNCHER
log "set-up done in $((SECONDS - started)) s; running the tests"

log "native launcher tests"
bash "$root/tests/native/launcher-test.sh"
log "deployment tests"
bash "$root/tests/deploy/deploy-test.sh"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test "$root/LlmGateway.sln" -c Release --nologo --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=normal" "$@" || status=$?

# One closing line for every test project together, in the plain form CI reads.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  for name in passed failed; do
    n=$(sed -n "s/.* $name=\"\([0-9]*\)\".*/\1/p" <<<"$counters")
    printf -v "$name" '%d' $(( ${!name} + ${n:-0} ))
  done
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$(( skipped + ${n:-0} ))
done
log "finished in $((SECONDS - started)) s"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if (( status == 0 && passed == 0 )); then die "no test ran"; fi
exit "$status"
