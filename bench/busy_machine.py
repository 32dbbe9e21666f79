#!/usr/bin/env python3
"""The default profile on a machine busy with CPU-bound work: load time, a short request's latency, and what the
foreground loses, against the same on a quiet machine; one row per variant (default, strict yield). Stdlib only.

  busy_machine.py run --dll GATEWAY.dll --model GGUF --bin LLAMA_BIN --launcher LAUNCHER --out RESULTS.jsonl [--variants ...]
  busy_machine.py report RESULTS.jsonl
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, time, urllib.error, urllib.request

CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")

VARIANTS = {
    "default": {},  # Invisible: 35 %, cap, yield while nothing waits, normal priority for a late request
    "strict-yield": {"Cpu__LatencyBudgetMilliseconds": "-1"},  # the behaviour before: idle priority always, loading too
}


def log(msg):
    print(f"[busy-machine] {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pid):
    """utime + stime of a process, its threads included."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


class Hogs:
    """CPU-bound processes at normal priority, one per core, as a build would be."""

    def __init__(self, count):
        self.procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(count)]

    def cpu(self):
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def rate_over(self, seconds):
        """Cores' worth of CPU the hogs got per second over the next `seconds`."""
        c0, t0 = self.cpu(), time.monotonic()
        time.sleep(seconds)
        return (self.cpu() - c0) / (time.monotonic() - t0)

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, path, body=None, timeout=600):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Gateway:
    def __init__(self, a, variant, work):
        self.port = free_port()
        env = dict(os.environ, Model__Path=a.model, LlamaServer__ExecutablePath=os.path.join(a.bin, "llama-server"),
                   LlamaServer__LauncherPath=a.launcher, LlamaServer__ContextSize="4096",
                   ASPNETCORE_URLS=f"http://127.0.0.1:{self.port}", **VARIANTS[variant])
        self.log = os.path.join(work, f"gateway-{variant}-{int(time.time())}.log")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(["dotnet", a.dll], env=env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)

    def wait_ready(self, ceiling):
        """Seconds from start to /ready 200, or None past the ceiling; the last /ready body besides."""
        state = None
        while time.monotonic() - self.started < ceiling and self.proc.poll() is None:
            try:
                status, state = http(self.port, "/ready", timeout=5)
                if status == 200:
                    return time.monotonic() - self.started, state
            except OSError:
                pass
            time.sleep(0.1)
        return None, state

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def short_request(port, i):
    """About 100 prompt tokens (distinct, uncached), 32 tokens out."""
    words = " ".join(f"host{i}-{k}" for k in range(9))
    body = {"messages": [{"role": "user", "content": f"Event {i}: sshd accepted login from {words}. Suspicious?"}],
            "max_tokens": 32, "ignore_eos": True, "cache_prompt": False, "temperature": 0}
    t0 = time.monotonic()
    status, answer = http(port, "/v1/chat/completions", body)
    elapsed = time.monotonic() - t0
    if status != 200:
        raise RuntimeError(f"request {i} got {status}: {answer}")
    return elapsed, answer["usage"]["prompt_tokens"]


def requests_phase(port, n, first):
    latencies, tokens = [], 0
    for i in range(first, first + n):
        elapsed, tokens = short_request(port, i)
        latencies.append(elapsed)
    return latencies, tokens


def measure(a, variant, work):
    row = {"variant": variant, "n": a.requests, "ceiling_s": a.ceiling}
    # Quiet machine.
    log(f"{variant}: quiet machine")
    gw = Gateway(a, variant, work)
    try:
        row["load_quiet_s"], _ = gw.wait_ready(a.ceiling)
        if row["load_quiet_s"] is None:
            raise RuntimeError(f"{variant} did not load on a quiet machine; see {gw.log}")
        short_request(gw.port, 0)  # warm-up
        row["latency_quiet_s"], row["prompt_tokens"] = requests_phase(gw.port, a.requests, 1000)
    finally:
        gw.stop()

    # Busy machine: one CPU-bound process per core at normal priority.
    log(f"{variant}: busy machine ({CORES} CPU-bound processes)")
    hogs = Hogs(CORES)
    try:
        row["hogs_alone"] = hogs.rate_over(a.window)
        gw = Gateway(a, variant, work)
        try:
            row["load_busy_s"], state = gw.wait_ready(a.ceiling)
            row["ready_state_at_ceiling"] = None if row["load_busy_s"] is not None else state
            if row["load_busy_s"] is not None:
                child = state["pid"]
                row["hogs_service_idle"] = hogs.rate_over(a.window)
                h0, c0, t0 = hogs.cpu(), cpu_seconds(child), time.monotonic()
                row["latency_busy_s"], _ = requests_phase(gw.port, a.requests, 2000)
                wall = time.monotonic() - t0
                row["hogs_service_active"] = (hogs.cpu() - h0) / wall
                row["child_cpu_active"] = (cpu_seconds(child) - c0) / wall
        finally:
            gw.stop()
        row["hogs_alone_after"] = hogs.rate_over(a.window)
    finally:
        hogs.stop()
    return row


def run(a):
    os.makedirs(a.work, exist_ok=True)
    for variant in a.variants:
        started = time.monotonic()
        row = measure(a, variant, a.work)
        row["minutes"] = round((time.monotonic() - started) / 60, 1)
        with open(a.out, "a") as f:
            f.write(json.dumps(row) + "\n")
        log(f"{variant}: done in {row['minutes']} min")


def pct(x):
    return f"{100 * x:.1f} %"


def report(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    print(f"Prompt: {rows[0]['prompt_tokens']} tokens with the chat template; {rows[0]['n']} requests per phase.")
    print()
    print("| variant | load, quiet | load, busy | busy / quiet (target <= 2x) | short request p50, quiet | p50, busy | busy / quiet (target <= 3x) | foreground loss, service idle (target ~0) | foreground loss, requests running (target <= 35 %) | llama-server CPU, requests running |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        alone = (r["hogs_alone"] + r["hogs_alone_after"]) / 2
        lq = r["load_quiet_s"]
        p50q = statistics.median(r["latency_quiet_s"])
        if r["load_busy_s"] is None:
            st = r.get("ready_state_at_ceiling") or {}
            print(f"| {r['variant']} | {lq:.1f} s | **not ready after {r['ceiling_s']:.0f} s** ({st.get('status', '?')}) | ✗ | {p50q:.2f} s | – | – | – | – | – |")
            continue
        lb = r["load_busy_s"]
        p50b = statistics.median(r["latency_busy_s"])
        idle_loss = (alone - r["hogs_service_idle"]) / CORES
        active_loss = (alone - r["hogs_service_active"]) / CORES
        mark = lambda ok: "✓" if ok else "✗"
        print(f"| {r['variant']} | {lq:.1f} s | {lb:.1f} s | {lb / lq:.1f}x {mark(lb <= 2 * lq)} | {p50q:.2f} s | {p50b:.2f} s | {p50b / p50q:.1f}x {mark(p50b <= 3 * p50q)} "
              f"| {pct(idle_loss)} | {pct(active_loss)} {mark(active_loss <= 0.35)} | {pct(r['child_cpu_active'] / CORES)} |")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    for name in ("dll", "model", "bin", "launcher", "out", "work"):
        r.add_argument(f"--{name}", required=True)
    r.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    r.add_argument("--requests", type=int, default=5)
    r.add_argument("--window", type=float, default=10, help="seconds each foreground rate is measured over")
    r.add_argument("--ceiling", type=float, default=300, help="seconds to wait for ready before calling the start failed")
    q = sub.add_parser("report")
    q.add_argument("results")
    args = p.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        report(args.results)
