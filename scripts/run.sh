#!/usr/bin/env bash
# The main job: builds what the gateway needs (cached) and starts it on http://127.0.0.1:8080.
# With no model configured it serves the synthetic demo model (the shapes of Qwen2.5-0.5B, random
# weights). Serve a real model with:  Model__Path=/path/to/model.gguf scripts/run.sh
# Any setting can be given the same way (Cpu__Profile=Balanced) or as --Section:Key=value arguments.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"

command -v dotnet >/dev/null || die "the .NET 10 SDK is required"
bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
if [[ -z "${Model__Path:-}" ]]; then
  export Model__DemoPath
  Model__DemoPath=$("$root/scripts/synthetic-model.sh" "${LLMGW_DEMO_PRESET:-qwen2.5-0.5b}")
fi
export LlamaServer__ExecutablePath="${LlamaServer__ExecutablePath:-$bin/llama-server}"
export LlamaServer__LauncherPath="${LlamaServer__LauncherPath:-$launcher}"

log "building the gateway"
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
cd "$root/src/LlmGateway"
exec dotnet bin/Release/net10.0/LlmGateway.dll "$@"
