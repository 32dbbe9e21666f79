#!/usr/bin/env bash
# Bad input at scale: the property-based fuzzer (tests/LlmGateway.Tests/Fuzz, CsCheck) against the real gateway and a
# real llama-server on the tiny model. Requests are derived from the gateway's OpenAPI document, then mutated; the
# run fails on any 5xx, any answer missing or not OpenAI-shaped, a crash, or RSS growth past 1.2x after the warm-up.
#   bench/fuzz.sh [count] [seed]    (count 10000 by default; seed: one CsCheck printed, to replay a failure)
#   results: docs/reliability.md, "Bad input" (the table this prints)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
count=${1:-10000}

LLMGW_LLAMA_BIN=$("$root/native/build-llama.sh")
LLMGW_LLAMA_SRC=$("$root/native/fetch-llama-source.sh")
LLMGW_TEST_MODEL=$("$root/scripts/synthetic-model.sh" tiny)
LLMGW_LAUNCHER=$("$root/native/build-launcher.sh")
export LLMGW_LLAMA_BIN LLMGW_LLAMA_SRC LLMGW_TEST_MODEL LLMGW_LAUNCHER

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/progress"
export LLMGW_FUZZ_REQUESTS=$count LLMGW_FUZZ_REPORT=$work/report.md LLMGW_FUZZ_PROGRESS=$work/progress LLMGW_FUZZ_SEED=${2:-}
log "$count requests; progress every 500"
tail -f "$work/progress" >&2 &
tail_pid=$!
status=0
dotnet test "$root/tests/LlmGateway.Tests" -c Release --nologo --filter "FullyQualifiedName~LlmGateway.Tests.Fuzz.FuzzTests" \
  --logger "console;verbosity=normal" >"$work/test.log" 2>&1 || status=$?
kill "$tail_pid" 2>/dev/null || true
if ((status != 0)); then
  grep -v '^\s*at ' "$work/test.log" | tail -40 >&2
  die "the fuzzer failed (the seed and the request are above)"
fi
cat "$work/report.md"
