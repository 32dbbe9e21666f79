#!/usr/bin/env bash
# The test command: installs what is missing, builds llama.cpp (cached), writes the synthetic test
# model (cached), then runs the shell suites (launcher, deployment) and every xunit test in the
# solution against them. Every part runs even when an earlier one failed; the closing line adds them
# all up, and the exit status is non-zero if any part failed. Arguments go to `dotnet test`
# (for example --filter "FullyQualifiedName~ApiKeyTests"); the shell suites run regardless.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
started=$SECONDS

command -v dotnet >/dev/null || die "the .NET 10 SDK is required: https://dot.net"
require_tools cpulimit:cpulimit prometheus:prometheus   # cpulimit: the CPU governance tests; prometheus (with promtool): PrometheusTests
LLMGW_LLAMA_BIN=$("$root/native/build-llama.sh")
LLMGW_LLAMA_SRC=$("$root/native/fetch-llama-source.sh")
LLMGW_TEST_MODEL=$("$root/scripts/synthetic-model.sh" tiny)
LLMGW_TEST_MODEL_WIDE=$("$root/scripts/synthetic-model.sh" tiny-wide)
LLMGW_LAUNCHER=$("$root/native/build-launcher.sh")
export LLMGW_LLAMA_BIN LLMGW_LLAMA_SRC LLMGW_TEST_MODEL LLMGW_TEST_MODEL_WIDE LLMGW_LAUNCHER
log "set-up done in $((SECONDS - started)) s; running the tests"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0
failed_parts=()   # every part whose exit status was not 0: the command fails if any is here

# add COUNTS-FILE: adds the passed/failed/skipped lines of a shell suite's counts file.
add_counts() {
  local name value
  while IFS='=' read -r name value; do
    case $name in passed | failed | skipped) printf -v "$name" '%d' $(( ${!name} + value )) ;; esac
  done <"$1"
}

# suite NAME SCRIPT: runs one shell suite (tests/Shared/cases.sh); a failure does not stop the others.
suite() {
  local rc=0 counts="$results/$1.counts"
  log "$1"
  LLMGW_TEST_COUNTS="$counts" bash "$2" || rc=$?
  if [[ -f "$counts" ]]; then
    add_counts "$counts"
  else
    # Killed before it could count (a signal): one failure, so the closing line cannot look clean.
    echo "not ok - $1 ended with exit status $rc and no counts"
    failed=$((failed + 1))
  fi
  if ((rc != 0)); then failed_parts+=("$1 (exit status $rc)"); fi
}
suite "native launcher tests" "$root/tests/native/launcher-test.sh"
suite "deployment tests" "$root/tests/deploy/deploy-test.sh"

log "xunit tests"
rc=0
dotnet test "$root/LlmGateway.sln" -c Release --nologo --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=normal" "$@" || rc=$?
if ((rc != 0)); then failed_parts+=("dotnet test (exit status $rc)"); fi

# xunit's counters, from the trx file of every test project.
trx_files=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  trx_files=$((trx_files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  for name in passed failed; do
    n=$(sed -n "s/.* $name=\"\([0-9]*\)\".*/\1/p" <<<"$counters")
    printf -v "$name" '%d' $(( ${!name} + ${n:-0} ))
  done
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$(( skipped + ${n:-0} ))
done
if ((rc != 0 && trx_files == 0)); then log "dotnet test wrote no results (a build error?): see its output above"; fi

log "finished in $((SECONDS - started)) s"
for part in "${failed_parts[@]}"; do log "failed: $part"; done
# One closing line for the shell suites and every test project together, in the plain form CI reads.
echo "tests: $passed passed, $failed failed, $skipped skipped"
if ((passed + failed == 0)); then die "no test ran"; fi
if ((${#failed_parts[@]} > 0)); then exit 1; fi
