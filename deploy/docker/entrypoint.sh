#!/usr/bin/env bash
# The image's entry point: fills in the paths the gateway needs, picks the model, and exec's the
# gateway (so it receives the container's stop signal itself). Arguments are passed to the gateway
# (--Section:Key=value).
#
#   Model__Path=FILE     serve FILE: an absolute path, or a name inside the models volume
#                        (LLMGW_MODELS_DIR, /models). Set but missing: exit 2 with a message.
#   (no Model__Path)     serve the synthetic demo model (Model__DemoPath), and say so.
#
# Every path has a default under LLMGW_HOME (/opt/llmgateway), so the script also runs outside the
# image with the paths pointed elsewhere (tests/deploy/deploy-test.sh does).
set -euo pipefail

say() { printf 'llmgateway-entrypoint: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }   # 2: the gateway's own exit code for a setting the user must fix

home=${LLMGW_HOME:-/opt/llmgateway}
app=${LLMGW_APP:-$home/app}
models=${LLMGW_MODELS_DIR:-/models}
export LlamaServer__ExecutablePath=${LlamaServer__ExecutablePath:-$home/bin/llama-server}
export LlamaServer__LauncherPath=${LlamaServer__LauncherPath:-$home/bin/llmgw-launch}
export Model__DemoPath=${Model__DemoPath:-$home/demo/qwen2.5-0.5b-synthetic.gguf}
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://0.0.0.0:8080}

[[ -f "$app/LlmGateway.dll" ]] || die "no gateway at $app/LlmGateway.dll (LLMGW_APP)"
[[ -x "$LlamaServer__ExecutablePath" ]] || die "LlamaServer__ExecutablePath=$LlamaServer__ExecutablePath is not an executable file"

# The GGUF files in the models volume, as a hint for whoever has not chosen one yet.
available() {
  local f names=()
  for f in "$models"/*.gguf; do [[ -f "$f" ]] && names+=("${f##*/}"); done
  ((${#names[@]} > 0)) && printf '%s ' "${names[@]}"
  return 0
}

if [[ -n "${Model__Path:-}" ]]; then
  model=$Model__Path
  [[ "$model" == /* ]] || model="$models/$model"   # a bare name means a file in the models volume
  if [[ ! -f "$model" ]]; then
    found=$(available)
    die "Model__Path=$Model__Path: no such file ($model). Put the GGUF in the models volume (docs/deploy.md says how), or unset Model__Path (LLMGW_MODEL) to serve the demo model.${found:+ $models holds: $found}"
  fi
  [[ -r "$model" ]] || die "Model__Path=$Model__Path: $model is not readable by uid $(id -u); make it world-readable (chmod a+r)"
  export Model__Path=$model
  say "serving $model"
else
  [[ -f "$Model__DemoPath" ]] ||
    die "no model: Model__Path is not set and there is no demo model at $Model__DemoPath (an image built with LLMGW_DEMO=0). Set Model__Path (LLMGW_MODEL in docker-compose.yml) to a GGUF file in $models."
  say "no Model__Path set: serving the SYNTHETIC demo model $Model__DemoPath (random weights: real CPU and latency, gibberish answers)"
  found=$(available)
  if [[ -n "$found" ]]; then
    say "$models holds: $found- serve one with LLMGW_MODEL=NAME (Model__Path)"
  else
    say "to serve a real model, copy a GGUF into the models volume ($models) and set LLMGW_MODEL=NAME (Model__Path)"
  fi
fi

exec dotnet "$app/LlmGateway.dll" "$@"
