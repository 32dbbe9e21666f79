# Shared by the native scripts: logging, the cache location and the tool check. Sourced, not run.
# shellcheck shell=bash

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=llama.cpp.pin
. "$here/llama.cpp.pin"

script=$(basename "$0" .sh)
log() { printf '[%s] %s\n' "$script" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$script" "$*" >&2; exit 1; }

cache_root="${LLMGW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmgateway}"

# Installs missing tools when running as root in CI; elsewhere names the Debian packages to install.
# Arguments are Debian package names whose main command has the same name, or COMMAND:PACKAGE.
require_tools() {
  local missing=() tool
  for tool in "$@"; do command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}"); done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) == 0 && -n "${CI:-}" ]] && command -v apt-get >/dev/null; then
    log "installing missing tools: ${missing[*]}"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    die "missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
  fi
}

# Takes an exclusive lock for one cache entry; held until the calling script exits.
lock_entry() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1.lock"
  flock 9
}
