#!/usr/bin/env bash
# Tests the deployment files on a machine with no Docker engine (docs/deploy.md says what this covers
# and what it cannot):
#   (a) docker-compose.yml: `docker-compose config` accepts it; ports on 127.0.0.1 only; every bind
#       mount exists; Grafana's home dashboard is a mounted file with uid llmgateway; every file the
#       Dockerfile copies exists and is not excluded by .dockerignore
#   (b) promtool accepts the Prometheus config and rules that compose mounts
#   (c) deploy/docker/entrypoint.sh, run outside Docker with the environment the image and compose set
#       (paths pointed at the local builds, cgroupfs unusable as in most containers): the demo model is
#       served, /ready and the HEALTHCHECK pass; LLMGW_MODEL names a file in the models directory;
#       a missing model or demo model stops it with exit code 2 and a message
#   (d) systemd-analyze verify on deploy/systemd/llmgateway.service, where systemd-analyze exists
#   (e) the Windows scripts parse (PowerShell's own parser, from NuGet); the launchd plist is valid
# Prints "ok - ..." or "not ok - ..." per case and a closing count line (tests/Shared/cases.sh), and
# exits non-zero if any failed. Every tool it uses is required: a missing one (docker-compose, promtool,
# systemd-analyze, curl, python3 with yaml) fails the suite rather than skipping what it would check.
# Honours LLMGW_LLAMA_BIN, LLMGW_LAUNCHER and LLMGW_TEST_MODEL as scripts/test.sh exports them; builds
# them otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/native/common.sh"
# shellcheck source=../Shared/cases.sh
. "$root/tests/Shared/cases.sh"
tmp=$(mktemp -d)
started=()   # gateways this test starts, stopped (by PID) if still running at the end

cleanup() {
  local status=$? pid
  for pid in "${started[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  cases_exit "$status"
}
trap cleanup EXIT

indent() { sed 's/^/    /' "$@" >&2; }

# compose [VAR=value...] [option...]: `docker-compose config` with only the given compose variables
# set, so that the user's own LLMGW_MODEL and the like do not change what is tested.
compose() {
  local vars=()
  while (($# > 0)) && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  env -u LLMGW_MODEL -u LLMGW_HOST_MODELS -u LLMGW_CPUS -u GRAFANA_ADMIN_PASSWORD "${vars[@]}" \
    docker-compose -f "$root/docker-compose.yml" --project-directory "$root" config "$@"
}

# --- (a) compose file and Dockerfile -------------------------------------------------------------
require_tools docker-compose python3
if compose -q 2>"$tmp/compose.err"; then
  ok "docker-compose config accepts docker-compose.yml ($(docker-compose version --short 2>/dev/null || echo v1))"
else
  not_ok "docker-compose config rejects docker-compose.yml"; indent "$tmp/compose.err"
fi

compose >"$tmp/compose.yml" 2>/dev/null || true
if python3 - "$root" "$tmp/compose.yml" >"$tmp/compose.check" 2>&1 <<'EOF'; then
import json, os, sys, yaml
root, config = sys.argv[1], yaml.safe_load(open(sys.argv[2]))
problems = []
mounts = {}   # service -> {container path: host path} of the bind mounts
for name, service in config["services"].items():
    for port in service.get("ports", []):
        text = port if isinstance(port, str) else f'{port.get("host_ip", "")}:{port.get("published")}'
        if not str(text).startswith("127.0.0.1:"):
            problems.append(f"{name} publishes {text} beyond 127.0.0.1")
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2] if isinstance(volume, str) else (volume["source"], volume["target"])
        if source.startswith("/"):
            mounts.setdefault(name, {})[target] = source
            if not os.path.exists(source):
                problems.append(f"{name} mounts {source}, which does not exist")
home = config["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
host = next((h + home[len(c):] for c, h in mounts.get("grafana", {}).items() if home.startswith(c + "/")), None)
if host is None or not os.path.isfile(host):
    problems.append(f"Grafana's home dashboard {home} is not a mounted file ({host})")
elif json.load(open(host)).get("uid") != "llmgateway":
    problems.append(f"{host} does not have uid llmgateway")
print("\n".join(problems))
sys.exit(1 if problems else 0)
EOF
  ok "compose publishes on 127.0.0.1 only; its bind mounts and Grafana's home dashboard (uid llmgateway) exist"
else
  not_ok "compose file's ports and mounts"; indent "$tmp/compose.check"
fi

# What COPY sends from the build context must exist and survive .dockerignore (checked without an
# engine: the patterns are matched here the way Docker matches them, for the simple forms used).
if python3 - "$root" >"$tmp/copy.check" 2>&1 <<'EOF'; then
import fnmatch, os, re, shlex, sys
root = sys.argv[1]
text = re.sub(r"\\\n", " ", open(os.path.join(root, "deploy/docker/Dockerfile")).read())
patterns = [p.strip() for p in open(os.path.join(root, ".dockerignore")) if p.strip() and not p.startswith("#")]
def ignored(path):
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    hit = False
    for p in patterns:
        negate, p = p.startswith("!"), p.lstrip("!").strip("/")
        bare = p[3:] if p.startswith("**/") else None
        if any(fnmatch.fnmatchcase(x, p) or (bare and fnmatch.fnmatchcase(x.split("/")[-1], bare)) for x in prefixes):
            hit = not negate
    return hit
problems, count = [], 0
for line in text.splitlines():
    words = shlex.split(line.strip()) if line.strip().upper().startswith("COPY ") else []
    if not words or any(w.startswith("--from") for w in words):
        continue
    for source in [w for w in words[1:-1] if not w.startswith("--")]:
        count += 1
        if not os.path.exists(os.path.join(root, source)):
            problems.append(f"COPY {source}: not in the repository")
        elif ignored(source):
            problems.append(f"COPY {source}: excluded by .dockerignore")
print("\n".join(problems) or f"{count} sources")
sys.exit(1 if problems else 0)
EOF
  ok "the Dockerfile's COPY sources exist and pass .dockerignore ($(cat "$tmp/copy.check"))"
else
  not_ok "Dockerfile COPY sources"; indent "$tmp/copy.check"
fi

# --- (b) Prometheus config and rules, as compose mounts them -----------------------------------------
prom="$root/deploy/prometheus"
require_tools promtool:prometheus
if promtool check config "$prom/prometheus.yml" >"$tmp/promtool.out" 2>&1; then
  ok "promtool check config deploy/prometheus/prometheus.yml (and the rule files it names)"
else
  not_ok "promtool check config"; indent "$tmp/promtool.out"
fi
rules=("$prom"/rules/*.yml)
if [[ ! -f "${rules[0]}" ]]; then
  not_ok "promtool check rules: deploy/prometheus/rules/*.yml matches no file"
elif promtool check rules "${rules[@]}" >"$tmp/promtool.out" 2>&1; then
  ok "promtool check rules deploy/prometheus/rules/*.yml (${#rules[@]} file(s))"
else
  not_ok "promtool check rules"; indent "$tmp/promtool.out"
fi

# --- (c) the entry point, outside Docker ------------------------------------------------------------
require_tools curl
bin=${LLMGW_LLAMA_BIN:-$("$root/native/build-llama.sh")}
launcher=${LLMGW_LAUNCHER:-$("$root/native/build-launcher.sh")}
model=${LLMGW_TEST_MODEL:-$("$root/scripts/synthetic-model.sh" tiny)}
log "publishing the gateway as the Dockerfile does"
dotnet publish "$root/src/LlmGateway" -c Release -o "$tmp/app" --nologo -v quiet -clp:ErrorsOnly >&2
mkdir -p "$tmp/models" "$tmp/no-cgroupfs"
ln -s "$model" "$tmp/models/local.gguf"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# run_entrypoint LOG [compose VAR=value...]: starts the entry point in the background (PID in $gw)
# with the image's ENV and the gateway service's environment from `docker-compose config`, its paths
# replaced by the local builds.
run_entrypoint() {
  local logfile=$1; shift
  local vars=()
  compose "$@" >"$tmp/compose-run.yml" 2>/dev/null || true
  mapfile -d '' vars < <(python3 - "$root/deploy/docker/Dockerfile" "$tmp/compose-run.yml" <<'EOF'
import re, shlex, sys, yaml
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
stage = re.split(r"^FROM\s", text, flags=re.M)[-1]   # the runtime stage
env = {}
for line in stage.splitlines():
    if line.startswith("ENV "):
        env.update(w.split("=", 1) for w in shlex.split(line[4:]))
env.update({k: "" if v is None else str(v) for k, v in yaml.safe_load(open(sys.argv[2]))["services"]["gateway"]["environment"].items()})
sys.stdout.write("".join(f"{k}={v}\0" for k, v in env.items()))
EOF
  )
  # The image listens on 0.0.0.0:8080; here on the same address with a free port. The Invisible default
  # yields (SCHED_IDLE): on a CI host busy with other tests llama-server would wait for idle CPU to load,
  # and this test is about the entry point, so Balanced (a cap, no yield).
  env -i PATH="$PATH" HOME="$HOME" "${vars[@]}" \
    LLMGW_HOME="$tmp/home" LLMGW_APP="$tmp/app" LLMGW_MODELS_DIR="$tmp/models" \
    LlamaServer__ExecutablePath="$bin/llama-server" LlamaServer__LauncherPath="$launcher" \
    Model__DemoPath="${DEMO:-$model}" ASPNETCORE_URLS="http://0.0.0.0:$port" \
    Cpu__CgroupRoot="$tmp/no-cgroupfs" \
    Cpu__Profile=Balanced \
    bash "$root/deploy/docker/entrypoint.sh" >"$logfile" 2>&1 &
  gw=$!
  started+=("$gw")
}

# wait_ready PID: polls /ready (up to 90 s) while the gateway runs.
wait_ready() {
  local end=$((SECONDS + 90))
  while ((SECONDS < end)); do
    kill -0 "$1" 2>/dev/null || return 1
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" || true) == 200 ]] && return 0
    sleep 0.5
  done
  return 1
}

# stop PID: SIGTERM, as docker stop sends it; sets rc to the exit code, 124 if it outlived 20 s.
stop() {
  kill -TERM "$1" 2>/dev/null || true
  local end=$((SECONDS + 20))
  while kill -0 "$1" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
  local late=0
  if kill -0 "$1" 2>/dev/null; then late=1; kill -9 "$1"; fi
  rc=0; wait "$1" || rc=$?
  if ((late)); then rc=124; fi
}

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# (c1) no model configured: the demo model, said in the log and in /v1/models
run_entrypoint "$tmp/demo.log"
if wait_ready "$gw"; then
  ok "the entry point starts the gateway with compose's environment on 0.0.0.0: /ready is 200"
  synthetic=$(curl -s "http://127.0.0.1:$port/v1/models" | json 'd["data"][0]["meta"]["synthetic"]' 2>/dev/null || echo "?")
  if [[ $synthetic == True ]] && grep -q "serving the SYNTHETIC demo model $model" "$tmp/demo.log"; then
    ok "with no Model__Path it serves the demo model and says so (log and /v1/models)"
  else
    not_ok "demo model: /v1/models synthetic=$synthetic"; indent "$tmp/demo.log"
  fi
  # The image's HEALTHCHECK command, with this port.
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/ready"; then ok "the HEALTHCHECK command passes"; else not_ok "HEALTHCHECK command failed"; fi
  backend=$(curl -s "http://127.0.0.1:$port/admin/cpu/plan" | json 'd.get("backend")' 2>/dev/null || echo "?")
  if [[ ${backend,,} == scheduler ]]; then
    ok "with cgroupfs unusable, as in a container, CPU governance falls back to the Scheduler backend"
  else
    not_ok "CPU backend without cgroupfs: $backend"; curl -s "http://127.0.0.1:$port/admin/cpu/plan" >&2 || true
  fi
  child=$(curl -s "http://127.0.0.1:$port/ready" | json 'd["pid"]' 2>/dev/null || echo "")
  stop "$gw"
  if [[ $rc == 0 && -n "$child" ]] && ! kill -0 "$child" 2>/dev/null; then
    ok "SIGTERM (docker stop) ends the gateway with exit code 0 and llama-server with it"
  else
    not_ok "SIGTERM: exit code $rc, llama-server $child $(kill -0 "$child" 2>/dev/null && echo alive || echo gone)"
  fi
else
  not_ok "the gateway did not become ready from the entry point"; indent "$tmp/demo.log"
  stop "$gw"
fi

# (c2) LLMGW_MODEL, compose's one model variable, names a file in the models directory
run_entrypoint "$tmp/named.log" LLMGW_MODEL=local.gguf
if wait_ready "$gw" && grep -q "serving $tmp/models/local.gguf" "$tmp/named.log"; then
  ok "LLMGW_MODEL=local.gguf serves the file of that name in the models directory"
else
  not_ok "LLMGW_MODEL=local.gguf"; indent "$tmp/named.log"
fi
stop "$gw"

# expect_refusal NAME TEXT [compose VAR=value...]: the entry point exits 2 within 30 s, saying TEXT.
expect_refusal() {
  local name=$1 text=$2; shift 2
  run_entrypoint "$tmp/refused.log" "$@"
  local end=$((SECONDS + 30))
  while kill -0 "$gw" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
  stop "$gw"
  if [[ $rc == 2 ]] && grep -qF -- "$text" "$tmp/refused.log"; then
    ok "$name: exit code 2, \"$(grep -F -- "$text" "$tmp/refused.log" | head -n 1 | cut -c1-110)...\""
  else
    not_ok "$name: exit code $rc"; indent "$tmp/refused.log"
  fi
}
expect_refusal "Model__Path=/nonexistent.gguf" "Model__Path=/nonexistent.gguf: no such file" LLMGW_MODEL=/nonexistent.gguf
expect_refusal "a missing name in the models directory" "no such file ($tmp/models/missing.gguf)" LLMGW_MODEL=missing.gguf
DEMO="$tmp/no-demo.gguf" expect_refusal "no Model__Path and no demo model (LLMGW_DEMO=0)" "there is no demo model at $tmp/no-demo.gguf"

# --- (d) the systemd unit ------------------------------------------------------------------------
unit="$root/deploy/systemd/llmgateway.service"
if [[ $(uname -s) != Linux ]]; then
  skip "systemd-analyze verify llmgateway.service" "systemd is Linux-only ($(uname -s))"
else
  require_tools systemd-analyze:systemd
  # In a scratch root: the unit's binary must exist for verify, and must not be installed on this machine.
  sysroot="$tmp/sysroot"
  exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
  mkdir -p "$sysroot/etc/systemd/system" "$sysroot/usr/lib/systemd" "$sysroot$(dirname "$exe")"
  cp -r "$(readlink -f /lib/systemd/system)" "$sysroot/usr/lib/systemd/system"
  printf '#!/bin/sh\n' >"$sysroot$exe" && chmod 755 "$sysroot$exe"
  cp "$unit" "$sysroot/etc/systemd/system/"
  # verify exits 0 on unknown keys and bad values, reporting them as warnings: any output fails.
  if systemd-analyze verify --root="$sysroot" llmgateway.service >"$tmp/verify.out" 2>&1 && [[ ! -s "$tmp/verify.out" ]]; then
    ok "systemd-analyze verify llmgateway.service: no errors, no warnings"
  else
    not_ok "systemd-analyze verify llmgateway.service"; indent "$tmp/verify.out"
  fi
fi

# --- (e) Windows scripts and the launchd plist --------------------------------------------------------
mkdir -p "$tmp/psparse"
cat >"$tmp/psparse/psparse.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="System.Management.Automation" Version="7.6.9" />
  </ItemGroup>
</Project>
EOF
cat >"$tmp/psparse/Program.cs" <<'EOF'
// PowerShell's own parser: a script that parses here has no syntax error on Windows either.
using System.Management.Automation.Language;
var errors = 0;
foreach (var path in args)
{
    Parser.ParseFile(path, out _, out var found);
    foreach (var e in found) Console.WriteLine($"{path}:{e.Extent.StartLineNumber}: {e.Message}");
    errors += found.Length;
}
return errors == 0 ? 0 : 1;
EOF
ps1=("$root"/deploy/windows/*.ps1)
if dotnet run --project "$tmp/psparse" -v quiet -- "${ps1[@]}" >"$tmp/psparse.out" 2>&1; then
  ok "PowerShell's parser accepts deploy/windows/*.ps1 (${#ps1[@]} scripts)"
else
  not_ok "deploy/windows/*.ps1 do not parse"; indent "$tmp/psparse.out"
fi

if python3 - "$root/deploy/macos/com.llmgateway.gateway.plist" >"$tmp/plist.out" 2>&1 <<'EOF'; then
import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
missing = [k for k in ("Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "ProcessType", "LowPriorityIO") if k not in d]
assert not missing, f"missing keys: {missing}"
assert d["ProcessType"] in ("Background", "Adaptive", "Standard", "Interactive"), d["ProcessType"]
EOF
  ok "the launchd plist is a valid property list with its keys"
else
  not_ok "launchd plist"; indent "$tmp/plist.out"
fi

finish_cases
