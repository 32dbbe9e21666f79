#!/usr/bin/env bash
# Compiles native/launcher/llmgw-launch.c (the guard that keeps llama-server from outliving the
# gateway) into a cache outside the repository, keyed by the source's hash, and prints the binary.
#
#   native/build-launcher.sh    build (or reuse) and print the path of llmgw-launch
#   LLMGW_CACHE=/dir            cache root (default: ${XDG_CACHE_HOME:-~/.cache}/llmgateway)
#   CC=clang                    compiler (default: cc)
#
# Progress goes to stderr; stdout carries only the binary's path, so callers can capture it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

src="$here/launcher/llmgw-launch.c"
[[ -f "$src" ]] || die "missing $src"
key=$(sha256sum "$src" | cut -c1-12)
final="$cache_root/launcher/$key"
bin="$final/llmgw-launch"

if [[ ! -x "$bin" ]]; then
  lock_entry "$final"   # one builder per key; the others wait here and then find the finished binary
fi
if [[ -x "$bin" ]]; then
  log "cached: $bin"
  echo "$bin"
  exit 0
fi

cc=${CC:-cc}
[[ -n "${CC:-}" ]] || command -v cc >/dev/null || require_tools gcc   # Debian's gcc package provides cc
command -v "$cc" >/dev/null || die "no C compiler '$cc' on PATH"

# Compile beside the cache entry and rename it into place, so nobody ever runs a half-written binary.
mkdir -p "$final"
tmp=$(mktemp "$bin.XXXXXX")
trap 'rm -f "$tmp"' EXIT
log "compiling $src"
"$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$tmp" "$src" >&2 || die "compiling the launcher failed"
chmod 755 "$tmp"
mv -f "$tmp" "$bin"
log "built: $bin"
echo "$bin"
