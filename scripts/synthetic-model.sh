#!/usr/bin/env bash
# Writes (or reuses) a synthetic model from a preset and prints its path:
#   scripts/synthetic-model.sh tiny|qwen2.5-0.5b|qwen2.5-1.5b [seed]
# The cache key covers the preset, the seed, the llama.cpp pin and the generator's source, so a change
# to any of them makes a new file; the same inputs give the same bytes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"

preset=${1:?usage: synthetic-model.sh PRESET [SEED]}
seed=${2:-42}
bin=$("$root/native/build-llama.sh")
src=$("$root/native/fetch-llama-source.sh")

generator=$(cd "$root" && cat native/llama.cpp.pin src/LlmGateway.Gguf/*.cs src/LlmGateway.ModelTool/*.cs | sha256sum | cut -c1-12)
model="$cache_root/models/$preset-seed$seed-$generator.gguf"
if [[ -f "$model" ]]; then
  echo "$model"
  exit 0
fi

lock_entry "$model"
if [[ ! -f "$model" ]]; then
  log "writing the $preset model (random weights, seed $seed)"
  dotnet build "$root/src/LlmGateway.ModelTool" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
  started=$SECONDS
  dotnet "$root/src/LlmGateway.ModelTool/bin/Release/net10.0/llmgw-model.dll" synthesize \
    --preset "$preset" --seed "$seed" --vocab "$src/models/ggml-vocab-qwen2.gguf" \
    --llama-quantize "$bin/llama-quantize" --out "$model" >&2
  log "wrote $model in $((SECONDS - started)) s"
fi
echo "$model"
