#!/usr/bin/env bash
# Tests native/launcher/llmgw-launch: exit codes, signal forwarding, the grace period, the PID line,
# confinement before exec (--join, --cpus, --sched-idle), and that the child dies when whoever holds
# the launcher's stdin pipe is SIGKILLed.
# Uses LLMGW_LAUNCHER as scripts/test.sh exports it, else builds the launcher with
# native/build-launcher.sh (cached). Prints "ok - ...", "not ok - ..." or "skip ...: reason" per case
# and a closing count line (tests/Shared/cases.sh), and exits non-zero if any case failed.
# Needs bash 5 (EPOCHREALTIME) and ps.
# Waits have ceilings of 10 s or more: a ceiling only says when to give up on an event that did not
# happen, and on a busy 2-core machine a few seconds is not "did not happen".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../Shared/cases.sh
. "$root/tests/Shared/cases.sh"
tmp=$(mktemp -d)
started=()   # every process the test starts or learns about, killed (by PID) if still alive at the end

cleanup() {
  local status=$? pid
  for pid in "${started[@]}"; do alive "$pid" && kill -9 "$pid" 2>/dev/null || true; done
  exec 8>&- || true
  rm -rf "$tmp"
  cases_exit "$status"
}
trap cleanup EXIT
launcher=${LLMGW_LAUNCHER:-$("$root/native/build-launcher.sh")}

now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }

# Running and not a zombie (a zombie of ours, or one that init has not reaped yet, counts as gone).
alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n "$stat" && "$stat" != Z* ]]
}

# wait_gone PID MS: polls until PID is gone; fails after MS milliseconds.
wait_gone() {
  local end=$(($(now_ms) + $2))
  while alive "$1"; do
    (($(now_ms) < end)) || return 1
    sleep 0.02
  done
}

# child_pid FILE: waits (up to 10 s) for the launcher's first stderr line and prints the PID in it.
child_pid() {
  local end=$(($(now_ms) + 10000)) line=""
  while :; do
    { IFS= read -r line <"$1"; } 2>/dev/null && break   # fails until the file has a whole line
    (($(now_ms) < end)) || { echo "no PID line in $1" >&2; return 1; }
    sleep 0.02
  done
  [[ "$line" =~ ^llmgw-launch:\ child\ ([0-9]+)$ ]] || { echo "unexpected first line: $line" >&2; return 1; }
  echo "${BASH_REMATCH[1]}"
}

# wait_args PID TEXT: waits (up to 10 s) until PID's command line is TEXT, i.e. the exec happened.
wait_args() {
  local end=$(($(now_ms) + 10000))
  until [[ "$(ps -o args= -p "$1" 2>/dev/null)" == "$2" ]]; do
    (($(now_ms) < end)) || return 1
    sleep 0.02
  done
}

# reap PID: sets rc to the exit status of a background job of ours that has ended (call wait_gone
# first so this never blocks). Not in $(...): a subshell cannot wait for this shell's children.
reap() { rc=0; wait "$1" || rc=$?; }

# A FIFO this shell keeps open for writing on fd 8 and never writes to: launchers read it as stdin
# and see no EOF until this shell is gone. Each launcher gets 8>&- so it does not hold a writer itself.
mkfifo "$tmp/hold"
exec 8<>"$tmp/hold"

# (0) usage errors
rc=0; "$launcher" sleep 1 <"$tmp/hold" 8>&- 2>"$tmp/err0" || rc=$?
if [[ $rc == 2 ]] && grep -q usage "$tmp/err0"; then ok "usage error exits 2"; else not_ok "usage error exited $rc: $(cat "$tmp/err0")"; fi

# (1) the child's exit code is the launcher's
rc=0; timeout 10 "$launcher" -- sh -c 'exit 7' <"$tmp/hold" 8>&- 2>"$tmp/err1" || rc=$?
if [[ $rc == 7 ]]; then ok "exit code propagates (7)"; else not_ok "exit code: expected 7, got $rc: $(cat "$tmp/err1")"; fi

# (2) a program that cannot be run: 127 and a message naming it, after the PID line
rc=0; timeout 10 "$launcher" -- "$tmp/no-such-program" arg <"$tmp/hold" 8>&- 2>"$tmp/err2" || rc=$?
if [[ $rc == 127 ]] && head -n 1 "$tmp/err2" | grep -q '^llmgw-launch: child [0-9]*$' &&
  grep -q "cannot run $tmp/no-such-program" "$tmp/err2"; then
  ok "exec failure exits 127 with a message"
else
  not_ok "exec failure: expected 127, got $rc: $(cat "$tmp/err2")"
fi

# (3) the process holding the stdin pipe is SIGKILLed: the child and the launcher stop
mkfifo "$tmp/watch3"
# The holder keeps the FIFO open read-write on fd 3 (the only writer: no EOF while it lives) and hands
# the launcher a read-only end; "& wait" keeps bash from exec'ing the launcher in its place.
bash -c 'exec 3<>"$1"; "$2" -- sleep 1000 <"$1" 3>&- 2>"$3" & wait' _ "$tmp/watch3" "$launcher" "$tmp/err3" 8>&- &
holder=$!
disown "$holder"   # it is SIGKILLed on purpose: no "Killed" job report
started+=("$holder")
if child=$(child_pid "$tmp/err3"); then
  lpid=$(ps -o ppid= -p "$child" | tr -d ' ')
  started+=("$child" "$lpid")
  kill -9 "$holder"
  if wait_gone "$child" 10000 && wait_gone "$lpid" 10000; then
    ok "SIGKILL of the pipe holder stops the child and the launcher"
  else
    not_ok "child $child or launcher $lpid survived the pipe holder's SIGKILL"
  fi
else
  not_ok "SIGKILL of the pipe holder: $(cat "$tmp/err3")"
fi

# (4) SIGTERM to the launcher is forwarded; the launcher exits 128+15
"$launcher" -- sleep 1000 <"$tmp/hold" 8>&- 2>"$tmp/err4" &
lpid=$!
started+=("$lpid")
if child=$(child_pid "$tmp/err4") && started+=("$child") && wait_args "$child" "sleep 1000"; then
  kill -TERM "$lpid"
  if wait_gone "$lpid" 10000 && ! alive "$child"; then
    reap "$lpid"
    if [[ $rc == 143 ]]; then ok "SIGTERM is forwarded, launcher exits 143"; else not_ok "SIGTERM: expected 143, got $rc"; fi
  else
    not_ok "SIGTERM: launcher $lpid or child $child still running"
  fi
else
  not_ok "SIGTERM: $(cat "$tmp/err4")"
fi

# (5) a child that ignores SIGTERM is SIGKILLed after --grace-ms
"$launcher" --grace-ms 300 -- sh -c 'trap "" TERM; exec sleep 1001' <"$tmp/hold" 8>&- 2>"$tmp/err5" &
lpid=$!
started+=("$lpid")
if child=$(child_pid "$tmp/err5") && started+=("$child") && wait_args "$child" "sleep 1001"; then
  t0=$(now_ms)
  kill -TERM "$lpid"
  if wait_gone "$lpid" 10000 && ! alive "$child"; then
    elapsed=$(($(now_ms) - t0))
    reap "$lpid"
    if [[ $rc == 137 ]] && ((elapsed >= 250)); then
      ok "a child ignoring SIGTERM is SIGKILLed after the grace period (${elapsed} ms, exit 137)"
    else
      not_ok "grace period: expected 137 after >= 300 ms, got $rc after $elapsed ms"
    fi
  else
    not_ok "grace period: launcher $lpid or child $child still running"
  fi
else
  not_ok "grace period: $(cat "$tmp/err5")"
fi

# (6) the first stderr line names the real child: a sleep whose parent is the launcher
"$launcher" -- sleep 1002 <"$tmp/hold" 8>&- 2>"$tmp/err6" &
lpid=$!
started+=("$lpid")
if child=$(child_pid "$tmp/err6") && started+=("$child") && wait_args "$child" "sleep 1002" &&
  [[ "$(ps -o ppid= -p "$child" | tr -d ' ')" == "$lpid" ]]; then
  ok "the first stderr line reports the child's PID ($child)"
else
  not_ok "PID line: $(cat "$tmp/err6"), ps: $(ps -o pid=,ppid=,args= -p "${child:-0}" || true)"
fi
kill -TERM "$lpid"
wait_gone "$lpid" 10000 || true

# (7) the supervisor is gone and the child ignores SIGTERM: SIGKILL after the grace period
mkfifo "$tmp/watch7"
bash -c 'exec 3<>"$1"; "$2" --grace-ms 300 -- sh -c "trap \"\" TERM; exec sleep 1003" <"$1" 3>&- 2>"$3" & wait' \
  _ "$tmp/watch7" "$launcher" "$tmp/err7" 8>&- &
holder=$!
disown "$holder"   # it is SIGKILLed on purpose: no "Killed" job report
started+=("$holder")
if child=$(child_pid "$tmp/err7") && started+=("$child" "$(ps -o ppid= -p "$child" | tr -d ' ')") &&
  wait_args "$child" "sleep 1003"; then
  kill -9 "$holder"
  if wait_gone "$child" 10000; then ok "pipe EOF escalates to SIGKILL for a child ignoring SIGTERM"; else not_ok "child $child survived pipe EOF"; fi
else
  not_ok "pipe EOF with a stubborn child: $(cat "$tmp/err7")"
fi

# (8) Linux: SIGKILL of the launcher itself kills the child (PR_SET_PDEATHSIG)
if [[ $(uname -s) == Linux ]]; then
  "$launcher" -- sleep 1004 <"$tmp/hold" 8>&- 2>"$tmp/err8" &
  lpid=$!
  disown "$lpid"
  started+=("$lpid")
  if child=$(child_pid "$tmp/err8") && started+=("$child") && wait_args "$child" "sleep 1004"; then
    kill -9 "$lpid"
    if wait_gone "$child" 10000; then ok "SIGKILL of the launcher kills the child (PDEATHSIG)"; else not_ok "child $child survived the launcher's SIGKILL"; fi
  else
    not_ok "PDEATHSIG: $(cat "$tmp/err8")"
  fi
else
  skip "SIGKILL of the launcher kills the child" "PR_SET_PDEATHSIG is Linux-only ($(uname -s))"
fi

# (9) confinement before exec: the PID goes to every --join file, the affinity and SCHED_IDLE hold
# from the first instruction (checked on the exec'd program itself, so nothing could have set them later).
if [[ $(uname -s) == Linux ]]; then
  : >"$tmp/join-a"; : >"$tmp/join-b"
  cpu=$(( $(nproc) - 1 ))
  "$launcher" --join "$tmp/join-a" --join "$tmp/join-b" --cpus "$cpu" --sched-idle -- sleep 1005 <"$tmp/hold" 8>&- 2>"$tmp/err9" &
  lpid=$!
  started+=("$lpid")
  if child=$(child_pid "$tmp/err9") && started+=("$child") && wait_args "$child" "sleep 1005"; then
    policy=$(awk -F: '/^policy/ {gsub(/ /, "", $2); print $2}' "/proc/$child/sched")
    allowed=$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$child/status")
    if [[ "$(cat "$tmp/join-a")" == "$child" && "$(cat "$tmp/join-b")" == "$child" && "$policy" == 5 && "$allowed" == "$cpu" ]]; then
      ok "--join, --cpus and --sched-idle apply to the child before exec"
    else
      not_ok "confinement: joins '$(cat "$tmp/join-a")' '$(cat "$tmp/join-b")' (child $child), policy $policy, cpus $allowed (wanted $cpu)"
    fi
  else
    not_ok "confinement: $(cat "$tmp/err9")"
  fi
  kill -TERM "$lpid"
  wait_gone "$lpid" 10000 || true

  # (10) a confinement that fails is an exec failure (127), never an unconfined child
  rc=0; timeout 10 "$launcher" --join "$tmp/no-such-dir/cgroup.procs" -- sleep 1006 <"$tmp/hold" 8>&- 2>"$tmp/err10" || rc=$?
  if [[ $rc == 127 ]] && grep -q "cannot join $tmp/no-such-dir/cgroup.procs" "$tmp/err10" && ! pgrep -f "sleep 1006" >/dev/null; then
    ok "a --join that fails stops the child before exec (127)"
  else
    not_ok "failed join: expected 127, got $rc: $(cat "$tmp/err10")"
  fi

  # (11) a malformed CPU list is a usage error
  rc=0; "$launcher" --cpus 1-x -- true <"$tmp/hold" 8>&- 2>"$tmp/err11" || rc=$?
  if [[ $rc == 2 ]] && grep -q -- "--cpus wants a CPU list" "$tmp/err11"; then ok "a malformed --cpus exits 2"; else not_ok "bad --cpus: got $rc: $(cat "$tmp/err11")"; fi
else
  for name in "--join, --cpus and --sched-idle apply to the child before exec" \
    "a --join that fails stops the child before exec" "a malformed --cpus exits 2"; do
    skip "$name" "cgroup files, CPU affinity and SCHED_IDLE are Linux-only ($(uname -s))"
  done
fi

finish_cases
