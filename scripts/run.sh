#!/usr/bin/env bash
# The main job. Today it prepares what the gateway will run: llama-server built from the pinned
# llama.cpp (cached) and the synthetic demo model (the Qwen2.5-0.5B shapes, random weights).
# The gateway that serves them over the OpenAI API is the next piece of work (issue 4).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"

bin=$("$root/native/build-llama.sh")
model=$("$root/scripts/synthetic-model.sh" "${LLMGW_DEMO_PRESET:-qwen2.5-0.5b}")
dotnet "$root/src/LlmGateway.ModelTool/bin/Release/net10.0/llmgw-model.dll" inspect "$model"
cat <<MSG

llama-server: $bin/llama-server ($(cat "$bin/../version.txt" 2>/dev/null | tr '\n' ' '))
demo model:   $model
The demo model has random weights: its answers are gibberish, its CPU and latency are real.
The gateway does not exist yet; to try the model directly:
  $bin/llama-server --model $model --host 127.0.0.1 --port 8080
MSG
