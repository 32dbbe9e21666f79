#!/usr/bin/env bash
# Fault benchmarks: what clients and the machine see when things break, with figures for docs/reliability.md.
#   bench/faults.sh kill-gateway [count]   SIGKILL the gateway mid-stream COUNT times (default 100): llama-server,
#                                           cgroups, socket directories and sockets left behind
#   bench/faults.sh kill-child [count]     SIGKILL llama-server COUNT times (default 10) under 8 clients (half
#                                           streaming): every request's outcome, and the time to recover
#   bench/faults.sh slow-clients [n] [--parallel N]  a normal client's latency alone, then beside a 1 byte/s stream reader and
#                                           200 slowloris connections (n requests each, default 30; --parallel 2)
# Prints Markdown tables; results go to docs/reliability.md by hand (Faults section).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
mode=${1:?usage: bench/faults.sh kill-gateway|kill-child|slow-clients [count]}
shift

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2

export Model__Path=$model LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher
# Fast: no cap and no idle priority, so the shared machine's load does not starve the child; cgroups are made all the same.
export Logging__LogLevel__Default=Warning Cpu__Profile=Fast
echo "Measured $(date -u +%Y-%m-%d) with \`bench/faults.sh $mode $*\` on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
echo
exec python3 "$root/bench/faults.py" "$mode" "$@" --gateway "$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
