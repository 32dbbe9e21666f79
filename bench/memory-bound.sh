#!/usr/bin/env bash
# Memory: llama-server's RSS against distinct ~2,000-token prompts sent one after another, on the tiny model, twice:
# with llama-server's own prompt cache bound (--cache-ram 8192, set here through Memory:PromptCacheMiB) and with the
# bound the gateway derives from Memory:BudgetBytes (640 MiB: about 100 MiB of prompt cache). Plots both curves.
#   bench/memory-bound.sh [prompts]    (default 200) writes docs/memory-bound.png; numbers on stdout
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
prompts=${1:-200}
port=${BOUND_PORT:-18610}

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$root/bench/Soak" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
out=$(mktemp -d /tmp/llmgw-bound.XXXXXX)
soak="$root/bench/Soak/bin/Release/net10.0/Soak.dll"

gateway_pid=""
trap '[[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
run() { # name, then settings
  local name=$1; shift
  env "$@" Model__Path="$model" LlamaServer__ExecutablePath="$bin/llama-server" LlamaServer__LauncherPath="$launcher" \
    Cpu__Profile=Balanced Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$port" \
    dotnet "$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" >"$out/$name.log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  log "$name: $(tr '\0' ' ' </proc/"$(curl -s "http://127.0.0.1:$port/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"/cmdline | grep -o -- '--cache-ram [0-9]*')"
  dotnet "$soak" memory-bound --url "http://127.0.0.1:$port" --prompts "$prompts" --csv "$out/$name.csv"
  kill "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true; gateway_pid=""
}
run default Memory__PromptCacheMiB=8192
run budget Memory__BudgetBytes=$((640 << 20))
dotnet "$soak" plot-bound "llama-server's default, --cache-ram 8192=$out/default.csv" \
  "Memory:BudgetBytes 640 MiB, --cache-ram derived=$out/budget.csv" --png "$root/docs/memory-bound.png"
for name in default budget; do
  log "$name: $(sed -n 2p "$out/$name.csv") ... $(tail -1 "$out/$name.csv") (prompt,rss_bytes)"
done
