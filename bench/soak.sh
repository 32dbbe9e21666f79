#!/usr/bin/env bash
# Soak: a steady mixed load against a real gateway for N minutes (default 30): streams and non-streams of
# distinct ~2,000-token prompts, client aborts, bad requests, and a kill -9 of llama-server every 10 minutes.
# Samples every 5 s the gateway's RSS, threads and open files and llama-server's RSS, then prints the warm-up
# vs end table (bench/Soak) and plots the curves. The tiny synthetic model: the soak looks for leaks in the
# gateway, which show per request, and the tiny model lets the most requests through on a shared 2-core machine;
# its prompt states are small (about 1 MB per 2,000 tokens), so the budget is set small enough for the prompt
# cache to reach its bound within the first minutes.
#   bench/soak.sh [minutes]    runs of 10 minutes or more write docs/soak-memory.png and docs/soak-handles.png
#                              (the table goes by hand into docs/reliability.md, "Soak")
#   SOAK_MODEL=qwen2.5-0.5b bench/soak.sh 30    the 0.5B-shaped model instead, plots named soak-qwen2.5-0.5b-*.png:
#                              prompts of about 300 tokens (4 MB per state), 2 clients; at 2,000 tokens half a core of
#                              this shared machine took over a minute a prompt and queued requests timed out (429)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
minutes=${1:-30}
port=${SOAK_PORT:-18600}
preset=${SOAK_MODEL:-tiny}
# Memory:BudgetBytes: what is left after the 512 MiB reserve, the model and its KV cache becomes --cache-ram:
# about 160 MiB for tiny (26 MB file), about 36 MiB for the 0.5B shape (380 MiB file, 48 MiB of KV cache): ten of
# its prompt states, so that the bound is reached at the few requests a minute this machine runs it at.
case $preset in
  tiny) budget=$((700 << 20)) workers=3 words=1900 name=soak ;;
  qwen2.5-0.5b) budget=$((975 << 20)) workers=2 words=300 name=soak-$preset ;;
  *) die "SOAK_MODEL must be tiny or qwen2.5-0.5b" ;;
esac

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" "$preset")
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$root/bench/Soak" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
out=$(mktemp -d /tmp/llmgw-soak.XXXXXX)
# The gateway runs from a copy, so a rebuild of the tree during a long soak cannot swap its files.
cp -r "$root/src/LlmGateway/bin/Release/net10.0" "$out/gateway"

gateway_pid=""
trap '[[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
# Balanced (50 % capped, normal priority) rather than the default Invisible: on this shared machine idle priority
# would let the other tenants' builds starve llama-server, and the soak is about leaks and bounds, not CPU.
Model__Path=$model LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher \
  Cpu__Profile=Balanced Memory__BudgetBytes=$budget Cpu__MemoryHighBytes=$((budget - (128 << 20))) Cpu__MemoryMaxBytes=$budget \
  Logging__LogLevel__Default=Warning ASPNETCORE_URLS=http://127.0.0.1:$port \
  dotnet "$out/gateway/LlmGateway.dll" >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$out/gateway.log" >&2; die "the gateway did not become ready"; }
log "gateway pid $gateway_pid ready on port $port; output in $out"

status=0
dotnet "$root/bench/Soak/bin/Release/net10.0/Soak.dll" --url "http://127.0.0.1:$port" --gateway-pid "$gateway_pid" \
  --minutes "$minutes" --workers "$workers" --prompt-words "$words" --budget-bytes "$budget" --kill-every-seconds "${SOAK_KILL_EVERY:-600}" --out "$out" || status=$?
if (( minutes >= 10 )); then
  cp "$out/soak-memory.png" "$root/docs/$name-memory.png"
  cp "$out/soak-handles.png" "$root/docs/$name-handles.png"
  log "plots copied to docs/; table in $out/soak-table.md"
fi
exit $status
