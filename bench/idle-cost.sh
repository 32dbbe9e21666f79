#!/usr/bin/env bash
# Benchmark: what an idle gateway costs the machine. The gateway and its llama-server (tiny model) are started,
# answer one request, are left alone to settle, then measured over an idle period: CPU (utime+stime from
# /proc/PID/stat, and perf's task-clock), wake-ups (perf's context-switches, threads that come and go included)
# and the gateway's memory. The gateway as built from a base commit ("before") and from this tree ("after") are
# measured alternately in the same run. Two more rows have llama-server's /health asked over its socket every second
# (this tree), on a new connection each time and on one kept-alive connection: the cost of a liveness probe.
#   [PRIVATE_RUNTIME=1] [VARIANTS="before after ..."] bench/idle-cost.sh [idle-seconds] [rounds] [base-commit]
#   results: docs/benchmarks/idle-cost.md
# base-commit defaults to the parent of the commit that added this script (the gateway before the idle work).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
seconds=${1:-60} rounds=${2:-2}
base=${3:-$(git -C "$root" log --diff-filter=A --format=%H -- bench/idle-cost.sh | tail -1)^}
settle=15 # after the request: llama-server drops the request's kept connection after 5 s, the sampler slows after 5 s more
command -v perf >/dev/null || die "perf is required (apt-get install linux-perf)"

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
hz=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/llmgw-idle-cost.XXXXXX)
port=18530 gateway_pid=""
# File pages that another process maps as well (a build server, another .NET program, a test run) cannot be paged out
# and count in the RSS of both. PRIVATE_RUNTIME=1 runs the gateway on a copy of the .NET runtime that nothing else
# maps, as on a machine where the gateway is the only .NET program; the page says which was used.
runtime=dotnet runtime_note="the .NET runtime at $(command -v dotnet), which other processes may map too"
if [[ -n "${PRIVATE_RUNTIME:-}" ]]; then
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  mkdir "$work/dotnet" && cp -a "$dotnet_root"/{dotnet,host,shared} "$work/dotnet/"
  runtime=$work/dotnet/dotnet runtime_note="a private copy of the .NET runtime (PRIVATE_RUNTIME=1) that no other process maps"
fi
cleanup() {
  [[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null
  wait 2>/dev/null || true
  git -C "$root" worktree remove --force "$work/base" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building this tree"
dotnet build "$root/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
log "building the base commit $(git -C "$root" rev-parse --short "$base") in $work/base"
git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
dotnet build "$work/base/src/LlmGateway" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
declare -A dll=(
  [before]="$work/base/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
  [after]="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
  [probe]="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
  [probe-kept]="$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll"
)

# probe SOCKET SECONDS KEEP: GET /health from llama-server once a second, on a new connection each time (KEEP=0,
# closed after the answer) or on one kept-alive connection (KEEP=1); prints how many were answered.
probe() {
  python3 - "$@" <<'EOF'
import socket, sys, time
path, seconds, keep = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
request = b"GET /health HTTP/1.1\r\nHost: llama-server\r\n" + (b"" if keep else b"Connection: close\r\n") + b"\r\n"
end, answered, s = time.monotonic() + seconds, 0, None
while time.monotonic() < end:
    if s is None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
    while len(body) < length:
        body += s.recv(4096)
    answered += head.startswith(b"HTTP/1.1 200")
    if not keep:
        s.close()
        s = None
    time.sleep(1)
print(answered)
EOF
}

# ask: one chat completion (max_tokens 1) through the gateway; prints its time in ms.
ask() {
  curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"messages":[{"role":"user","content":"Hello."}],"max_tokens":1}' | awk '{printf "%.1f", $1 * 1000}'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# perf_pid PID OUT: task-clock (ms) and context switches of every thread of PID over the idle period, in the background.
perf_pid() { perf stat -x, -e task-clock,context-switches -p "$1" -o "$2" -- sleep "$seconds" 2>/dev/null & }
perf_value() { awk -F, -v e="$2" '$3 ~ e {print $1}' "$1"; }

# run VARIANT: one start of the gateway, measured; prints one line of numbers.
run() {
  local variant=$1
  Model__Path=$model LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher \
    Logging__LogLevel__Default=Warning ASPNETCORE_URLS=http://127.0.0.1:$port \
    "$runtime" "${dll[$variant]}" >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || die "the gateway did not become ready on port $port: $(tail -5 "$work/gateway.log")"
  local child socket
  child=$(pgrep -x llama-server -P "$(pgrep -P "$gateway_pid" -x llmgw-launch)")
  socket=$(ls /tmp/llmgw-"$gateway_pid"-*/llama.sock)
  curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"messages":[{"role":"user","content":"Hello."}],"max_tokens":8}' >/dev/null || die "the request failed"

  # The tail of the request: its kept connection, the last poll, the sampler's linger.
  local g0 c0
  perf stat -x, -e task-clock,context-switches -p "$gateway_pid" -o "$work/tail-g" -- sleep "$settle" 2>/dev/null &
  local tail_perf=$!
  perf stat -x, -e task-clock,context-switches -p "$child" -o "$work/tail-c" -- sleep "$settle" 2>/dev/null
  wait "$tail_perf" || true
  sleep 1

  g0=$(ticks "$gateway_pid") c0=$(ticks "$child")
  perf_pid "$gateway_pid" "$work/idle-g"; local pg=$!
  perf_pid "$child" "$work/idle-c"; local pc=$!
  local probes=0
  case $variant in
    probe) probes=$(probe "$socket" "$((seconds - 1))" 0) ;;
    probe-kept) probes=$(probe "$socket" "$((seconds - 1))" 1) ;;
  esac
  wait "$pg" "$pc" || true
  local g1 c1 rss anon file shmem pss
  g1=$(ticks "$gateway_pid") c1=$(ticks "$child")
  rss=$(kb "$gateway_pid" VmRSS) anon=$(kb "$gateway_pid" RssAnon) file=$(kb "$gateway_pid" RssFile) shmem=$(kb "$gateway_pid" RssShmem)
  pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$gateway_pid/smaps_rollup")
  # What the idle gateway's trims cost the next request: the first request after the idle period, then the one after it.
  local first next
  first=$(ask) next=$(ask)
  kill "$gateway_pid"
  for _ in $(seq 100); do kill -0 "$gateway_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true; gateway_pid=""
  # variant, then per second over the idle period: gateway and child CPU (% of one core, from ticks and from perf),
  # wake-ups; then the tail's CPU ms and wake-ups; RSS parts in MB; probes made.
  python3 - "$variant" "$seconds" "$hz" "$((g1 - g0))" "$((c1 - c0))" \
    "$(perf_value "$work/idle-g" task-clock)" "$(perf_value "$work/idle-g" context-switches)" \
    "$(perf_value "$work/idle-c" task-clock)" "$(perf_value "$work/idle-c" context-switches)" \
    "$(perf_value "$work/tail-g" task-clock)" "$(perf_value "$work/tail-g" context-switches)" \
    "$(perf_value "$work/tail-c" task-clock)" "$(perf_value "$work/tail-c" context-switches)" \
    "$rss" "$anon" "$file" "$shmem" "$probes" "$first" "$next" "$pss" <<'EOF'
import sys
v, s, hz, gt, ct, gms, gcs, cms, ccs, tgms, tgcs, tcms, tccs, rss, anon, file, shmem, probes, first, nxt, pss = sys.argv[1:]
s, hz = float(s), float(hz)
f = lambda x: float(x or 0)
print(v, f"{f(gt) / hz / s * 100:.3f}", f"{f(ct) / hz / s * 100:.3f}",
      f"{f(gms) / s / 10:.3f}", f"{f(cms) / s / 10:.3f}", f"{f(gcs) / s:.2f}", f"{f(ccs) / s:.2f}",
      f"{f(tgms):.1f}", f"{f(tgcs):.0f}", f"{f(tcms):.1f}", f"{f(tccs):.0f}",
      f"{f(rss) / 1024:.1f}", f"{f(anon) / 1024:.1f}", f"{f(file) / 1024:.1f}", f"{f(shmem) / 1024:.1f}", probes, first, nxt, f"{f(pss) / 1024:.1f}")
EOF
}

results=()
for r in $(seq "$rounds"); do
  for variant in ${VARIANTS:-before after probe probe-kept}; do
    line=$(run "$variant")
    log "round $r: $line"
    results+=("$r $line")
  done
done

out="$root/docs/benchmarks/idle-cost.md"
printf '%s\n' "${results[@]}" >"$work/results"
# The hand-written notes below the tables (from "## Notes" on) are kept.
notes=""
[[ -f "$out" ]] && notes=$(sed -n '/^## Notes$/,$p' "$out")
python3 - "$work/results" "$seconds" "$rounds" "$(git -C "$root" rev-parse --short "$base")" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(uptime | sed 's/.*load average: //')" "$hz" "$settle" \
  "$runtime_note" >"$out" <<'EOF'
import sys, statistics
results, seconds, rounds, base, cores, cpu, load, hz, settle, runtime_note = sys.argv[1:]
rows = [l.split() for l in open(results).read().splitlines() if l.strip()]
print("# Idle cost")
print()
print(f"Measured {__import__('datetime').date.today()} with `bench/idle-cost.sh {seconds} {rounds}` on {cores} cores ({cpu}); load average at the end: {load}.")
print(f"The gateway ran on {runtime_note}.")
print(f"The gateway with the tiny model, default settings, after one request and {settle} s of settling, left idle for {seconds} s.")
print(f"`before` is the base commit {base}, `after` this tree, `probe` and `probe-kept` this tree with llama-server's /health")
print("asked over its socket once a second meanwhile, on a new connection each time or on one kept-alive connection. CPU is in percent of one core, from utime+stime")
print(f"(/proc/PID/stat, {hz} ticks a second: one run resolves {100 / float(hz) / float(seconds):.3f} %) and from perf's task-clock; wake-ups are")
print("perf's context switches per second, every thread counted (those that start or end during the period too).")
print(f"The tail is the {settle} s right after the request (ms of CPU and wake-ups in all). After the idle period, two requests")
print("(max_tokens 1) one after the other: what the idle gateway's trims (heap, and file pages in `after`) cost the first.")
print()
print("| round | build | gateway CPU % (ticks / perf) | llama-server CPU % (ticks / perf) | together % (perf) | gateway wake-ups/s | llama-server wake-ups/s | tail: gateway ms, wake-ups | tail: llama-server ms, wake-ups | gateway RSS MB (anon + file + shmem) | gateway PSS MB | request after idle, next, ms |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
by = {}
for r in rows:
    rnd, v, gt, ct, gp, cp, gw, cw, tgm, tgw, tcm, tcw, rss, anon, file, shmem, probes, first, nxt, pss = r
    by.setdefault(v, []).append(r)
    print(f"| {rnd} | {v} | {gt} / {gp} | {ct} / {cp} | {float(gp) + float(cp):.3f} | {gw} | {cw} | {tgm}, {tgw} | {tcm}, {tcw} | {rss} ({anon} + {file} + {shmem}) | {pss} | {first}, {nxt} |")
print()
print("Means over the rounds:")
print()
print("| build | together % (perf) | gateway % | llama-server % | gateway wake-ups/s | llama-server wake-ups/s | gateway RSS MB | gateway PSS MB | request after idle, next, ms |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
m = lambda rs, i: statistics.mean(float(r[i]) for r in rs)
for v, rs in by.items():
    print(f"| {v} | {m(rs, 4) + m(rs, 5):.3f} | {m(rs, 4):.3f} | {m(rs, 5):.3f} | {m(rs, 6):.2f} | {m(rs, 7):.2f} | {m(rs, 12):.1f} | {m(rs, 19):.1f} | {m(rs, 17):.1f}, {m(rs, 18):.1f} |")
for name, how in (("probe", "a new connection each, closed after the answer"), ("probe-kept", "all on one kept-alive connection")):
    if name in by and "after" in by:
        p, a = by[name], by["after"]
        n = statistics.mean(float(r[16]) for r in p) or 1
        s = float(seconds)
        print()
        print(f"`{name}`: a /health probe of llama-server every second ({how}) costs llama-server "
              f"{(m(p, 5) - m(a, 5)) * s * 10 / n:.3f} ms of CPU and {(m(p, 7) - m(a, 7)) * s / n:.1f} wake-ups per probe "
              f"({n:.0f} probes in {seconds} s), against the idle `after` rows.")
print()
print("PSS counts a page that n processes map as 1/n: the fair share when the framework's files are shared.")
print()
print("Targets (issue 12, point 9): gateway and llama-server together <= 0.3 % of one core idle, gateway RSS <= 80 MB.")
EOF
[[ -n "$notes" ]] && printf '\n%s\n' "$notes" >>"$out"
cat "$out"
