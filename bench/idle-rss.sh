#!/usr/bin/env bash
# Benchmark helper: the gateway's memory after one request, for one build and one set of runtime settings.
# One start: wait for /ready, one chat request and one scrape of /metrics, 20 s idle, then RSS and its parts
# (anonymous, file-backed, shared: the JIT's double-mapped code) from /proc/PID/status.
#   bench/idle-rss.sh LABEL [DLL] [VAR=VALUE...]    DLL: this tree's Release build unless given
# docs/benchmarks/idle-cost.md has the table of settings tried this way.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
label=$1; shift
dll="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
if [[ $# -gt 0 && $1 == *.dll ]]; then dll=$1; shift; fi
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
port=18560 pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
env "$@" Model__Path="$model" LlamaServer__ExecutablePath="$bin/llama-server" LlamaServer__LauncherPath="$launcher" \
  Logging__LogLevel__Default=Warning ASPNETCORE_URLS=http://127.0.0.1:$port dotnet "$dll" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || die "the gateway did not become ready on port $port"
curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"messages":[{"role":"user","content":"Hello."}],"max_tokens":8}' >/dev/null
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null
sleep 20
awk -v l="$label" '/^(VmRSS|RssAnon|RssFile|RssShmem):/ {v[$1] = $2 / 1024}
  END {printf "%s: RSS %.0f MB = anon %.0f + file %.0f + shmem %.0f\n", l, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"]}' "/proc/$pid/status"
