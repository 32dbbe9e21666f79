#!/usr/bin/env python3
"""Issue 15's benchmark: models started on demand and unloaded when idle. Stdlib only.

  model_load.py run [options]        (bench/model-load.sh builds the gateway and passes --dll, --bin, --launcher)
  model_load.py report RESULTS.json  the markdown tables again from the raw results
  model_load.py stand-in             (internal) a stand-in gateway that follows the contract, for --dry-run

Three measurements, each against the gateway's own endpoints:
  load  POST /admin/models/{id}/load until GET /v1/models says "ready", per model, cold (the GGUF evicted from the
        page cache with posix_fadvise DONTNEED after a sync, checked with fincore) and warm (from the page cache);
  ttft  time to the first token of a streamed chat request that starts its unloaded model (warm page cache), against
        the same request with the model loaded;
  idle  the gateway's own CPU with every model unloaded (two configured, none preloaded), from /proc/PID/stat
        utime+stime over a quiet window, beside its sampler's gateway_percent (/admin/cpu/samples) and perf's count.
Anything the gateway does that the contract does not say is collected as a finding and printed under the tables.
"""
import argparse, csv, datetime, http.client, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile
import threading, time, urllib.error, urllib.request

CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")
STATES = {"unloaded", "loading", "ready", "failed"}
PRESETS = ("tiny", "qwen2.5-0.5b", "qwen2.5-1.5b")
PROMPT = "Summarise in one line: sshd accepted a login for root from 203.0.113.7 at 03:12, then a new cron job appeared."


def log(msg):
    print(f"[model-load] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def clock(seconds):
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------------------------------------------------- page cache

def cached_fraction(path):
    """Share of the file's bytes in the page cache, from util-linux's fincore; None without it."""
    if not shutil.which("fincore"):
        return None
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                         capture_output=True, text=True, check=True).stdout.split()
    size = os.path.getsize(path)
    return min(1.0, int(out[0]) / size) if out and size else None


def evict(path):
    """Drops the file's pages from the page cache: written back first (sync), then DONTNEED. Pages that a running
    process maps stay; the caller checks the fraction it returns."""
    os.sync()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return cached_fraction(path)


def warm(path):
    """Reads the file into the page cache unless fincore says it is there already."""
    fraction = cached_fraction(path)
    if fraction is None or fraction < 0.99:
        with open(path, "rb") as f:
            while f.read(8 << 20):
                pass
        fraction = cached_fraction(path)
    return fraction


# ------------------------------------------------------------------------------------------------------------ progress

class Progress:
    """One line per step: what it was, its result, elapsed time and an ETA. Steps are planned as (kind, seconds); the
    ETA is the remaining steps' estimates, each kind's scaled by how its finished steps compared with their estimates
    (a load's first guess can be far off; an idle window's is its length)."""

    def __init__(self, steps, clock_source=time.monotonic):
        self.steps = list(steps)
        self.now = clock_source
        self.started = self.now()
        self.done = 0
        self.last = 0.0
        self.spent, self.estimated = {}, {}  # per kind: actual and estimated seconds of the finished steps

    def total(self):
        return sum(e for _, e in self.steps)

    def step(self, text):
        elapsed = self.now() - self.started
        kind, estimate = self.steps[self.done] if self.done < len(self.steps) else ("?", 0.0)
        self.spent[kind] = self.spent.get(kind, 0.0) + elapsed - self.last
        self.estimated[kind] = self.estimated.get(kind, 0.0) + estimate
        self.done, self.last = self.done + 1, elapsed
        scale = lambda k: self.spent[k] / self.estimated[k] if self.estimated.get(k) else 1.0
        remaining = sum(e * scale(k) for k, e in self.steps[self.done:])
        log(f"{self.done}/{len(self.steps)} {text} | elapsed {clock(elapsed)}, ETA {clock(remaining)}")


# ------------------------------------------------------------------------------------------------------------- process

def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def descendants(pid):
    """PIDs of every process under pid."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def processes_with(pid, path):
    """Processes under pid whose command line names path (llama-server and its launcher)."""
    hits = []
    for child in descendants(pid):
        try:
            argv = open(f"/proc/{child}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if path.encode() in argv:
            hits.append(child)
    return hits


def headers():
    """JSON, and the first API key when the gateway is given one the same way (Security__ApiKeys__0): with a key
    configured, /admin wants it too (Security:ProtectAdmin)."""
    h = {"Content-Type": "application/json"}
    if os.environ.get("Security__ApiKeys__0"):
        h["Authorization"] = f"Bearer {os.environ['Security__ApiKeys__0']}"
    return h


def exited(pid):
    """Gone, or a zombie (it has exited; its parent has not yet reaped it)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return str(pid)


class ExitWatch:
    """Notes when each of some processes exits, seconds after start, polling every 5 ms on a thread: whether an
    unload's wait was the child's own exit or something after it."""

    def __init__(self, pids):
        self.names = {p: comm(p) for p in pids}
        self.exits = {}
        self.t0 = time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set() and len(self.exits) < len(self.names):
            for p, name in self.names.items():
                if name not in self.exits and exited(p):
                    self.exits[name] = round(time.monotonic() - self.t0, 4)
            time.sleep(0.005)

    def alive(self):
        """Those still running now, by name and PID, wherever they were reparented (after their parent died they are no
        longer the gateway's descendants, so only their PIDs find them)."""
        return {name: p for p, name in self.names.items() if not exited(p)}

    def finish(self, ceiling=20):
        """Waits for every watched process to exit (up to the ceiling) and returns when each did."""
        self.thread.join(ceiling)
        self.done.set()
        self.thread.join()
        return dict(self.exits)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def models_env(models, keep_alive, preload=False):
    """The contract's settings, environment form: Models__N__Path, __Id, __KeepAliveSeconds, __Preload."""
    env = {}
    for i, m in enumerate(models):
        env[f"Models__{i}__Path"] = m["path"]
        env[f"Models__{i}__Id"] = m["id"]
        env[f"Models__{i}__KeepAliveSeconds"] = str(keep_alive)
        env[f"Models__{i}__Preload"] = "true" if preload else "false"
    return env


class Gateway:
    """The gateway as scripts/run.sh starts it (from src/LlmGateway, so its appsettings.json applies), or the
    stand-in under --dry-run, on a free loopback port; its output goes to a log file."""

    def __init__(self, a, env, name):
        self.port = free_port()
        self.log = os.path.join(a.work, f"gateway-{name}.log")
        base = dict(os.environ, ASPNETCORE_URLS=f"http://127.0.0.1:{self.port}", **env)
        # Not the single-model settings: the benchmark's models are the only ones served.
        for key in ("Model__Path", "Model__DemoPath"):
            base.pop(key, None)
        if a.dry_run:
            cmd, cwd = [sys.executable, os.path.abspath(__file__), "stand-in"], None
        else:
            base.update(LlamaServer__ExecutablePath=os.path.join(a.bin, "llama-server"), LlamaServer__LauncherPath=a.launcher)
            cmd, cwd = ["dotnet", a.dll], os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(a.dll))))
        self.proc = subprocess.Popen(cmd, env=base, cwd=cwd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def wait_healthy(self, ceiling=60):
        deadline = time.monotonic() + ceiling
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.get("/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the gateway did not answer /health within {ceiling} s (exit {self.proc.poll()}); "
                           f"last lines of {self.log}:\n{self.tail()}")

    def tail(self, lines=15):
        try:
            return "".join(open(self.log).readlines()[-lines:])
        except OSError:
            return ""

    def request(self, method, path, body=None, timeout=120):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers=headers())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def get(self, path, timeout=30):
        return self.request("GET", path, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------------------------------------------------ contract

class Findings:
    """What the gateway did against the contract: each deviation once, with the first occurrence's detail and a count."""

    def __init__(self):
        self.items = {}

    def check(self, ok, what, detail=""):
        if not ok:
            item = self.items.setdefault(what, {"what": what, "detail": detail, "count": 0})
            item["count"] += 1
        return ok

    def as_list(self):
        return list(self.items.values())


def state_of(body, model_id):
    """The state in an admin answer: {"state"}, {"data": {...}} or a /v1/models-shaped list."""
    if isinstance(body, dict):
        if isinstance(body.get("state"), str):
            return body["state"]
        data = body.get("data")
        if isinstance(data, dict):
            return state_of(data, model_id)
        if isinstance(data, list):
            for m in data:
                if isinstance(m, dict) and m.get("id") == model_id:
                    return m.get("state")
    return None


class Api:
    """The contract's endpoints, with its checks."""

    def __init__(self, gw, findings, poll):
        self.gw, self.f, self.poll = gw, findings, poll

    def models(self):
        status, body = self.gw.get("/v1/models")
        f = self.f
        if not f.check(status == 200 and isinstance(body, dict), "GET /v1/models answers 200 with a JSON object",
                       f"status {status}, body {str(body)[:300]}"):
            return {}
        f.check(body.get("object") == "list", 'GET /v1/models has "object": "list"', f"object = {body.get('object')!r}")
        data = body.get("data") if isinstance(body.get("data"), list) else []
        f.check(isinstance(body.get("data"), list), 'GET /v1/models has a "data" list', str(body)[:300])
        found = {}
        for m in data:
            if not isinstance(m, dict):
                continue
            found[m.get("id")] = m
            f.check(m.get("state") in STATES, "every model in /v1/models has a state of unloaded|loading|ready|failed",
                    f"{m.get('id')}: state = {m.get('state')!r}")
            f.check(isinstance(m.get("meta"), dict), 'every model in /v1/models has a "meta" object',
                    f"{m.get('id')}: meta = {str(m.get('meta'))[:200]}")
        return found

    def state(self, model_id):
        m = self.models().get(model_id)
        return m.get("state") if m else None

    def load(self, model_id):
        t0 = time.monotonic()
        status, body = self.gw.request("POST", f"/admin/models/{model_id}/load")
        took = time.monotonic() - t0
        self.f.check(200 <= status < 300, "POST /admin/models/{id}/load answers 2xx", f"{model_id}: {status} {str(body)[:300]}")
        state = state_of(body, model_id)
        self.f.check(state in STATES, "POST /admin/models/{id}/load answers with the model's state",
                     f"{model_id}: body {str(body)[:300]}")
        return took, state, status, body

    def unload(self, model_id):
        t0 = time.monotonic()
        status, body = self.gw.request("POST", f"/admin/models/{model_id}/unload")
        took = time.monotonic() - t0
        self.f.check(200 <= status < 300, "POST /admin/models/{id}/unload answers 2xx", f"{model_id}: {status} {str(body)[:300]}")
        return took, status, body

    def wait_for(self, model_id, wanted, ceiling, since=None):
        """Polls /v1/models until the model's state is in wanted; seconds from since, and the states seen in order."""
        since = time.monotonic() if since is None else since
        seen = []
        while True:
            state = self.state(model_id)
            now = time.monotonic()
            if not seen or seen[-1] != state:
                seen.append(state)
            if state in wanted or state == "failed" or now - since > ceiling:
                return state, now - since, seen
            time.sleep(self.poll)

    def ensure_unloaded(self, m):
        if self.state(m["id"]) != "unloaded":
            self.unload(m["id"])
            state, _, seen = self.wait_for(m["id"], {"unloaded"}, 60)
            if state != "unloaded":
                raise RuntimeError(f"{m['id']} did not unload: states {seen}")
        left = processes_with(self.gw.pid, m["path"])
        self.f.check(not left, "after POST unload has returned, no process of the gateway's names the model",
                     f"{m['id']}: PIDs {left} still name {m['path']}")


def stream_chat(gw, model_id, max_tokens, timeout=180):
    """One streamed chat request; seconds to the response head, the first SSE event and the first token (first
    delta with content), and the status."""
    body = json.dumps({"model": model_id, "stream": True, "max_tokens": max_tokens, "temperature": 0,
                       "cache_prompt": False, "messages": [{"role": "user", "content": PROMPT}]}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request("POST", "/v1/chat/completions", body, headers())
        r = conn.getresponse()
        head = time.monotonic() - t0
        out = {"status": r.status, "head_s": head, "first_event_s": None, "ttft_s": None, "tokens": 0}
        if r.status != 200:
            out["error"] = r.read().decode(errors="replace")[:500]
            return out
        for raw in r:
            line = raw.decode(errors="replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            now = time.monotonic() - t0
            if out["first_event_s"] is None:
                out["first_event_s"] = now
            try:
                delta = json.loads(data)["choices"][0].get("delta") or {}
            except (ValueError, KeyError, IndexError, TypeError):
                continue
            if delta.get("content"):
                out["tokens"] += 1
                if out["ttft_s"] is None:
                    out["ttft_s"] = now
        return out
    finally:
        conn.close()


# -------------------------------------------------------------------------------------------------------------- phases

def estimate_load(m, cold):
    """A first guess of one load step's seconds (load, unload, checks), refined by Progress as steps finish."""
    gb = m["bytes"] / 1e9
    return 1.5 + 6 * gb + (3 * gb if cold else 0)


def plan(a, models):
    steps = []
    if "load" in a.phases:
        steps += [(f"load {m['id']}", estimate_load(m, cold)) for _ in range(a.reps) for m in models for cold in (True, False)]
    if "ttft" in a.phases:
        steps += [(f"ttft {m['id']}", 2 * estimate_load(m, False)) for _ in range(a.ttft_reps + 1) for m in models]
    if "idle" in a.phases:
        steps += [("idle", a.settle + a.idle_seconds + 8 + (a.keep_alive + 10 if v == "after-keep-alive" else 0)) for v in a.idle_variants]
    return steps


def load_phase(a, api, models, progress, rows):
    for rep in range(1, a.reps + 1):
        for m in models:
            for kind in ("cold", "warm"):
                api.ensure_unloaded(m)
                cached = evict(m["path"]) if kind == "cold" else warm(m["path"])
                if kind == "cold":
                    a.findings.check(cached is None or cached < 0.01, "benchmark: the page cache lets go of an unloaded model's file",
                                     f"{m['id']}: {100 * cached:.1f} % still cached after DONTNEED (another process maps it?)")
                t0 = time.monotonic()
                post_s, post_state, _, body = api.load(m["id"])
                state, ready_s, seen = api.wait_for(m["id"], {"ready"}, a.ceiling, since=t0)
                a.findings.check(post_state in ("loading", "unloaded") and post_s < 0.5 * ready_s,
                                 "POST load returns at once (before the model is ready), with the state",
                                 f"{m['id']} {kind}: answered after {post_s:.3f} s with {post_state!r} (ready after {ready_s:.3f} s): {str(body)[:200]}")
                a.findings.check(state == "ready", "a loaded model reaches ready", f"{m['id']} {kind}: states {seen} after {ready_s:.1f} s")
                ok = state == "ready"
                # The gateway's own measure of the load, when its card has one (load_seconds).
                own = api.models().get(m["id"], {}).get("load_seconds")
                watch = ExitWatch(processes_with(api.gw.pid, m["path"]))
                unload_s, _, _ = api.unload(m["id"])
                alive = watch.alive()
                after = api.state(m["id"])
                a.findings.check(after == "unloaded", "POST unload returns once the model is unloaded (/v1/models says so at once)",
                                 f"{m['id']}: state {after!r} right after unload returned")
                exits = watch.finish()
                a.findings.check(not alive, "POST unload returns once the child is gone",
                                 f"{m['id']} {kind} rep {rep}: unload returned after {unload_s:.3f} s with {alive} still running; "
                                 f"they exited {exits} s after the unload was asked")
                row = {"phase": "load", "model": m["id"], "kind": kind, "rep": rep, "ready_s": ready_s if ok else None,
                       "cached_before": cached, "post_s": post_s, "post_state": post_state, "states": seen,
                       "unload_s": unload_s, "exits_s": exits, "alive_after_unload": sorted(alive), "state": state, "gateway_load_s": own}
                rows.append(row)
                shown = "n/a" if cached is None else f"{100 * cached:.0f} %"
                progress.step(f"load {m['id']} {kind} rep {rep}: ready after {ready_s:.2f} s "
                              f"(gateway says {own if own is not None else '?'} s; cached before {shown}, POST {1000 * post_s:.0f} ms -> {post_state}, "
                              f"unload {1000 * unload_s:.0f} ms, exits {exits})"
                              + ("" if ok else f" FAILED: {seen}"))


def ttft_phase(a, api, models, progress, rows):
    for rep in range(0, a.ttft_reps + 1):  # rep 0 warms up the request path (JIT), not counted
        for m in models:
            if rep == 0:
                # The prompt's size with the model's chat template: what the loaded request's time to first token prefills.
                status, body = api.gw.request("POST", "/v1/chat/completions", {
                    "model": m["id"], "max_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]})
                if status == 200 and isinstance(body, dict):
                    a.prompt_tokens[m["id"]] = (body.get("usage") or {}).get("prompt_tokens")
            api.ensure_unloaded(m)
            cached = warm(m["path"])
            on_demand = stream_chat(api.gw, m["id"], a.max_tokens)
            state_after = api.state(m["id"])
            a.findings.check(on_demand["status"] == 200 and on_demand["ttft_s"] is not None,
                             "a request for an unloaded model starts it, waits, and is served",
                             f"{m['id']}: {on_demand}")
            a.findings.check(state_after == "ready", "a model started by a request is ready after it",
                             f"{m['id']}: state {state_after!r} after the request")
            loaded = stream_chat(api.gw, m["id"], a.max_tokens)
            a.findings.check(loaded["status"] == 200 and loaded["ttft_s"] is not None, "a request for a ready model is served",
                             f"{m['id']}: {loaded}")
            if rep > 0:
                for kind, r in (("on-demand", on_demand), ("loaded", loaded)):
                    rows.append({"phase": "ttft", "model": m["id"], "kind": kind, "rep": rep, "cached_before": cached, **r})
            f = lambda x: "failed" if x is None else f"{x:.3f} s"
            progress.step(f"ttft {m['id']} {'warm-up' if rep == 0 else f'rep {rep}'}: on demand {f(on_demand['ttft_s'])}, "
                          f"loaded {f(loaded['ttft_s'])}")


def idle_window(a, gw, findings, models, variant):
    """The gateway's CPU over a quiet window: /proc ticks (the reference), its sampler's gateway_percent, perf."""
    status, first = gw.get("/admin/cpu/samples")
    samples_ok = findings.check(status == 200 and isinstance(first, dict) and "next" in first,
                                "GET /admin/cpu/samples answers with next", f"status {status}: {str(first)[:300]}")
    next0 = first["next"] if samples_ok else None
    perf_out = os.path.join(a.work, f"perf-{variant}.csv")
    perf = None
    if shutil.which("perf") and not a.dry_run:
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "task-clock,context-switches", "-p", str(gw.pid), "-o", perf_out,
                                 "--", "sleep", str(a.idle_seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0, c0 = time.monotonic(), cpu_ticks(gw.pid)
    children_seen = set()
    deadline = t0 + a.idle_seconds
    while time.monotonic() < deadline:  # a look at the process table every 10 s: no child should appear
        time.sleep(min(10, max(0, deadline - time.monotonic())))
        children_seen.update(descendants(gw.pid))
    c1, t1 = cpu_ticks(gw.pid), time.monotonic()
    row = {"phase": "idle", "kind": variant, "window_s": t1 - t0, "proc_core_percent": (c1 - c0) / TICK / (t1 - t0) * 100,
           "children": sorted(children_seen), "loadavg_end": loadavg()}
    findings.check(not children_seen, "no child process while every model is unloaded",
                   f"{variant}: PIDs {sorted(children_seen)} under the gateway during the idle window")
    if samples_ok:
        status, body = gw.get(f"/admin/cpu/samples?after={next0 - 1}")
        samples = body.get("samples", []) if isinstance(body, dict) else []
        # The first second of samples covers the query that read "next"; an idle sample is logged as 1000 / interval
        # copies, so that second is that many entries.
        first = next0 + max(1, int(1000 / (body.get("interval_ms") or 1000))) if isinstance(body, dict) else next0
        samples = [x for x in samples if isinstance(x, dict) and x.get("sequence", first) >= first]
        values = [s.get("gateway_percent") for s in samples if isinstance(s, dict)]
        findings.check(values and all(isinstance(v, (int, float)) for v in values),
                       "/admin/cpu/samples has gateway_percent in every sample", f"{str(body)[:300]}")
        values = [v for v in values if isinstance(v, (int, float))]
        if values:
            # gateway_percent is percent of the machine (LoggedSample); times the cores, percent of one core.
            row.update(sampler_samples=len(values), sampler_machine_percent=statistics.mean(values),
                       sampler_core_percent=statistics.mean(values) * CORES, sampler_interval_ms=body.get("interval_ms"),
                       sampler_dropped=body.get("dropped"))
    if perf:
        perf.wait()
        try:
            for line in open(perf_out):
                parts = line.strip().split(",")
                if len(parts) > 2 and parts[2].startswith("task-clock") and parts[0] not in ("", "<not counted>"):
                    row["perf_core_percent"] = float(parts[0]) / 1000 / a.idle_seconds * 100
                elif len(parts) > 2 and parts[2].startswith("context-switches") and parts[0] not in ("", "<not counted>"):
                    row["perf_wakeups_per_s"] = float(parts[0]) / a.idle_seconds
        except OSError:
            pass
    rss = [l.split()[1] for l in open(f"/proc/{gw.pid}/status") if l.startswith("VmRSS:")]
    row["rss_mb"] = int(rss[0]) / 1024 if rss else None
    row["threads"] = len(os.listdir(f"/proc/{gw.pid}/task"))
    return row


def idle_phase(a, models, progress, rows):
    two = models[:2]
    for variant in a.idle_variants:
        keep_alive = a.keep_alive if variant == "after-keep-alive" else 0
        env = dict(models_env(two, keep_alive), Logging__LogLevel__Default="Warning")
        gw = Gateway(a, env, f"idle-{variant}")
        extra = {}
        try:
            gw.wait_healthy()
            api = Api(gw, a.findings, 1.0)
            listed = api.models()
            a.findings.check(all(listed.get(m["id"], {}).get("state") == "unloaded" for m in two),
                             "with Preload=false every model starts unloaded",
                             f"{variant}: states { {k: v.get('state') for k, v in listed.items()} }")
            if variant == "after-keep-alive":
                # One request loads the first model; the gateway is to unload it KeepAliveSeconds after it.
                r = stream_chat(gw, two[0]["id"], a.max_tokens)
                a.findings.check(r["status"] == 200, "a request for an unloaded model starts it, waits, and is served", f"{r}")
                done = time.monotonic()
                state, waited, seen = api.wait_for(two[0]["id"], {"unloaded"}, keep_alive + 60, since=done)
                extra = {"keep_alive_s": keep_alive, "unloaded_after_s": waited if state == "unloaded" else None, "keep_alive_states": seen}
                a.findings.check(state == "unloaded" and waited <= keep_alive + 15,
                                 "a model idle for KeepAliveSeconds is unloaded (within 15 s of it)",
                                 f"KeepAliveSeconds={keep_alive}: state {state!r} {waited:.1f} s after the request (states {seen})")
                a.findings.check(state != "unloaded" or waited >= keep_alive - 1,
                                 "a model is not unloaded before KeepAliveSeconds", f"unloaded {waited:.1f} s after the request, KeepAliveSeconds={keep_alive}")
            time.sleep(a.settle)
            row = idle_window(a, gw, a.findings, two, variant)
            row.update(extra, settle_s=a.settle, models=[m["id"] for m in two])
            rows.append(row)
            sampler = f", sampler {row['sampler_core_percent']:.3f} %" if "sampler_core_percent" in row else ""
            progress.step(f"idle {variant}: gateway {row['proc_core_percent']:.3f} % of one core over {row['window_s']:.0f} s (/proc){sampler}")
        finally:
            gw.stop()


# ----------------------------------------------------------------------------------------------------------------- run

def private_copy(source):
    """A copy of the GGUF that no other process maps (beside the original, so on the same disk), made once and reused:
    a test run on the same machine that keeps the shared file mapped would hold its pages in the page cache, and
    the cold loads would not be cold."""
    copy = os.path.join(os.path.dirname(source), "model-load", os.path.basename(source))
    if not (os.path.isfile(copy) and os.path.getsize(copy) == os.path.getsize(source)
            and os.path.getmtime(copy) >= os.path.getmtime(source)):
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        log(f"copying {source} to {copy}")
        shutil.copyfile(source, copy + ".part")
        os.replace(copy + ".part", copy)
    return copy


def resolve_models(a):
    models = []
    for spec in a.models:
        if "=" in spec:
            model_id, path = spec.split("=", 1)
        else:
            if spec not in PRESETS:
                raise SystemExit(f"--models: {spec!r} is neither a preset ({', '.join(PRESETS)}) nor ID=PATH.GGUF")
            model_id = spec
            path = subprocess.run([os.path.join(a.root, "scripts", "synthetic-model.sh"), spec], capture_output=True,
                                  text=True, check=True).stdout.strip()
        if not os.path.isfile(path):
            raise SystemExit(f"--models: {path} is not a file")
        if not re.fullmatch(r"[A-Za-z0-9._-]+", model_id):
            raise SystemExit(f"--models: the id {model_id!r} must be letters, digits, '.', '_' or '-' (it goes into a URL)")
        source = os.path.abspath(path)
        models.append({"id": model_id, "path": private_copy(source) if a.copies else source, "source": source,
                       "bytes": os.path.getsize(path)})
    if len({m["id"] for m in models}) != len(models):
        raise SystemExit("--models: the ids must differ")
    return models


def gateway_facts(a):
    """The commit and CPU plan behind the numbers."""
    facts = {}
    try:
        git = lambda *args: subprocess.run(["git", "-C", a.root, *args], capture_output=True, text=True, check=True).stdout.strip()
        # The tree's commit, and the last one that changed the gateway (src/): the benchmark's own commits come after it.
        src = git("log", "-1", "--format=%h %s", "--", "src")
        facts["commit"] = f"{git('rev-parse', '--short', 'HEAD')} (src/ as of {src[:100]}{'...' if len(src) > 100 else ''})"
    except (OSError, subprocess.CalledProcessError):
        pass
    facts["profile"] = os.environ.get("Cpu__Profile", "default (appsettings.json / Invisible)")
    return facts


def run(a):
    a.out = a.out or tempfile.mkdtemp(prefix="llmgw-model-load-dry.")
    os.makedirs(a.out, exist_ok=True)
    a.work = a.work or tempfile.mkdtemp(prefix="llmgw-model-load.")
    os.makedirs(a.work, exist_ok=True)
    a.findings = Findings()
    a.prompt_tokens = {}
    models = resolve_models(a)
    started_wall, started = datetime.datetime.now(datetime.timezone.utc), time.monotonic()
    meta = {"command": a.command, "date": started_wall.strftime("%Y-%m-%d %H:%M UTC"), "dry_run": a.dry_run,
            "cores": CORES, "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
            "kernel": os.uname().release, "loadavg_before": loadavg(), "reps": a.reps, "ttft_reps": a.ttft_reps,
            "idle_seconds": a.idle_seconds, "settle_s": a.settle, "poll_ms": a.poll * 1000, "max_tokens": a.max_tokens,
            "fincore": bool(shutil.which("fincore")), "models": models, "phases": a.phases, "loadavg_phases": {},
            **gateway_facts(a)}
    progress = Progress(plan(a, models))
    log(f"{len(progress.steps)} steps, about {clock(progress.total())} by the first estimates; work files in {a.work}")
    rows = []
    try:
        if "load" in a.phases or "ttft" in a.phases:
            # One gateway for both: every model configured, none preloaded, kept loaded until told (KeepAliveSeconds 0).
            gw = Gateway(a, models_env(models, 0), "load")
            try:
                gw.wait_healthy()
                api = Api(gw, a.findings, a.poll)
                listed = api.models()
                a.findings.check(set(listed) >= {m["id"] for m in models}, "GET /v1/models lists every configured model",
                                 f"listed {sorted(map(str, listed))}")
                a.findings.check(all(listed.get(m["id"], {}).get("state") == "unloaded" for m in models),
                                 "with Preload=false every model starts unloaded",
                                 f"states { {k: v.get('state') for k, v in listed.items()} }")
                meta["meta_example"] = next(iter(listed.values()), {}).get("meta")
                status, plan_body = gw.get("/admin/cpu/plan")
                if status == 200:
                    meta["cpu_plan"] = plan_body
                for phase, fn in (("load", load_phase), ("ttft", ttft_phase)):
                    if phase in a.phases:
                        before = loadavg()
                        fn(a, api, models, progress, rows)
                        meta["loadavg_phases"][phase] = [before, loadavg()]
            finally:
                gw.stop()
        if "idle" in a.phases:
            before = loadavg()
            idle_phase(a, models, progress, rows)
            meta["loadavg_phases"]["idle"] = [before, loadavg()]
    finally:
        meta.update(prompt_tokens=a.prompt_tokens, loadavg_after=loadavg(), minutes=round((time.monotonic() - started) / 60, 1), findings=a.findings.as_list())
        write(a.out, meta, rows)


# -------------------------------------------------------------------------------------------------------------- output

def write(out, meta, rows):
    results = {"meta": meta, "rows": rows}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    fields = ["phase", "model", "kind", "rep", "ready_s", "gateway_load_s", "cached_before", "post_s", "post_state", "unload_s",
              "status", "head_s", "first_event_s", "ttft_s", "tokens", "window_s", "proc_core_percent",
              "sampler_core_percent", "perf_core_percent", "perf_wakeups_per_s", "rss_mb", "threads"]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_page(out, markdown(results))


def write_page(out, tables):
    """results.md: the tables, then the hand-written notes of the page before (from "## Notes" on), kept."""
    page = os.path.join(out, "results.md")
    notes = ""
    if os.path.isfile(page):
        text = open(page).read()
        notes = text[text.index("## Notes"):] if "## Notes" in text else ""
    with open(page, "w") as f:
        f.write(tables + ("\n" + notes if notes else ""))
    log(f"results in {out}/results.md (.json, .csv)")


def spread(values):
    """median (min to max) of the values, seconds."""
    v = [x for x in values if x is not None]
    if not v:
        return "–"
    return f"{statistics.median(v):.2f} ({min(v):.2f} to {max(v):.2f})" if len(v) > 1 else f"{v[0]:.2f}"


def exit_ms(rows):
    """When llama-server had exited, seconds after the unload was asked: median and max (ms)."""
    v = [r["exits_s"]["llama-server"] for r in rows if (r.get("exits_s") or {}).get("llama-server") is not None]
    return f"{1000 * statistics.median(v):.0f}, {1000 * max(v):.0f} ms" if v else "–"


def times(x):
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def span(lo, hi):
    return f"{lo:.0f}" if round(lo) == round(hi) else f"{lo:.0f} to {hi:.0f}"


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def markdown(results):
    meta, rows = results["meta"], results["rows"]
    models = meta["models"]
    lines = ["# Model load: on demand, cold and warm, and the idle gateway (issue 15)", ""]
    if meta.get("dry_run"):
        lines += ["**DRY RUN**: these numbers come from a stand-in gateway in bench/model_load.py (it reads the file",
                  "and sleeps), not from LlmGateway. They show the benchmark works, nothing about the gateway.", ""]
    lines += [f"Produced by `{meta['command']}` on {meta['date']} ({meta.get('minutes', '?')} min) on {meta['cores']} cores "
              f"({meta['cpu']}), kernel {meta['kernel']}.",
              f"Load average (1, 5, 15 min): {meta['loadavg_before']} before, {meta.get('loadavg_after', '?')} after; per phase: "
              + "; ".join(f"{p} {b} -> {e}" for p, (b, e) in meta.get("loadavg_phases", {}).items()) + ".",
              f"Gateway: {meta.get('commit', '?')}; CPU profile {meta.get('profile')}"
              + (f" ({plan_summary(meta['cpu_plan'])})" if meta.get("cpu_plan") else "") + ".",
              "Models (synthetic, random weights, `scripts/synthetic-model.sh`): "
              + ", ".join(f"`{m['id']}` {m['bytes'] / 1e6:.0f} MB" for m in models)
              + (", each served from a private copy that no other process maps." if any(m.get("source", m["path"]) != m["path"] for m in models) else "."),
              "This machine is shared and its disk virtual: \"cold\" is cold for this kernel's page cache; the host may still",
              "hold the blocks. Compare rows of one run.", ""]
    load = [r for r in rows if r["phase"] == "load"]
    if load:
        lines += ["## Load time", "",
                  f"`POST /admin/models/{{id}}/load` until `GET /v1/models` says `ready` (polled every {meta['poll_ms']:.0f} ms), "
                  f"{meta['reps']} times per model and kind, interleaved. Cold: the GGUF evicted first (sync, then "
                  "`posix_fadvise(DONTNEED)`), warm: the whole file in the page cache; cached share from `fincore`"
                  + ("" if meta.get("fincore") else " (not installed: not checked)") + ". Median (min to max), seconds.", "",
                  "| model | file MB | cold | warm | cold / warm | gateway's load_seconds, cold / warm median | cached before cold loads | cached before warm loads | POST load answered in, median | unload answered in, median (llama-server exited at: median, max) |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for m in models:
            cold = [r for r in load if r["model"] == m["id"] and r["kind"] == "cold"]
            warm_ = [r for r in load if r["model"] == m["id"] and r["kind"] == "warm"]
            c, w = med(r["ready_s"] for r in cold), med(r["ready_s"] for r in warm_)
            ratio = times(c / w) if c and w else "–"
            cached = lambda rs: "n/a" if any(r["cached_before"] is None for r in rs) or not rs else \
                span(100 * min(r["cached_before"] for r in rs), 100 * max(r["cached_before"] for r in rs)) + " %"
            own = lambda rs: f"{med(r.get('gateway_load_s') for r in rs):.2f}" if med(r.get("gateway_load_s") for r in rs) is not None else "–"
            failed = sum(1 for r in cold + warm_ if r["ready_s"] is None)
            lines.append(f"| {m['id']} | {m['bytes'] / 1e6:.0f} | {spread(r['ready_s'] for r in cold)} | {spread(r['ready_s'] for r in warm_)} "
                         f"| {ratio} | {own(cold)} / {own(warm_)} | {cached(cold)} | {cached(warm_)} | {1000 * med(r['post_s'] for r in cold + warm_):.0f} ms "
                         f"| {1000 * med(r['unload_s'] for r in cold + warm_):.0f} ms ({exit_ms(cold + warm_)}) |"
                         + (f" ({failed} failed)" if failed else ""))
        lines.append("")
    ttft = [r for r in rows if r["phase"] == "ttft"]
    if ttft:
        lines += ["## Time to first token, model started by the request", "",
                  f"A streamed chat request (`\"model\": id`, max_tokens {meta['max_tokens']}, `cache_prompt` false) to the model "
                  "unloaded with its file in the page cache (on demand: the request starts it and waits), then the same request "
                  f"with the model loaded; {meta['ttft_reps']} pairs per model after one unmeasured pair. Time to the first "
                  "event carrying content. Median (min to max), seconds."
                  + (" The prompt is " + ", ".join(f"{v} tokens for `{k}`" for k, v in meta["prompt_tokens"].items() if v)
                     + " with the chat template; with the model loaded, their prefill is most of the time to first token."
                     if any((meta.get("prompt_tokens") or {}).values()) else ""), "",
                  "| model | on demand | loaded | ratio of medians | ratio per pair, median | on demand minus warm load median |",
                  "| --- | --- | --- | --- | --- | --- |"]
        warm_load = {m["id"]: med(r["ready_s"] for r in load if r["model"] == m["id"] and r["kind"] == "warm") for m in models}
        for m in models:
            od = [r for r in ttft if r["model"] == m["id"] and r["kind"] == "on-demand"]
            ld = [r for r in ttft if r["model"] == m["id"] and r["kind"] == "loaded"]
            a, b = med(r["ttft_s"] for r in od), med(r["ttft_s"] for r in ld)
            pairs = [x["ttft_s"] / y["ttft_s"] for x, y in zip(od, ld) if x["ttft_s"] and y["ttft_s"]]
            gap = f"{a - warm_load[m['id']]:.2f}" if a is not None and warm_load.get(m["id"]) else "–"
            lines.append(f"| {m['id']} | {spread(r['ttft_s'] for r in od)} | {spread(r['ttft_s'] for r in ld)} "
                         f"| {times(a / b) if a and b else '–'} | {times(statistics.median(pairs)) if pairs else '–'} | {gap} |")
        lines.append("")
    idle = [r for r in rows if r["phase"] == "idle"]
    if idle:
        lines += ["## Idle CPU, every model unloaded", "",
                  f"The gateway with two models configured ({', '.join(f'`{x}`' for x in idle[0]['models'])}), none preloaded, "
                  f"logging at Warning, left alone {meta['settle_s']:.0f} s, then measured over {meta['idle_seconds']:.0f} s: its "
                  f"utime+stime from `/proc/PID/stat` ({TICK} ticks a second: resolves {100 / TICK / meta['idle_seconds']:.4f} %; "
                  "the reference), its sampler's mean `gateway_percent` over the same window (`/admin/cpu/samples`; percent of "
                  "the machine, shown times the cores), and perf's task-clock and context switches. `fresh`: nothing loaded since "
                  "start; `after-keep-alive`: one request loaded the first model and the gateway unloaded it by itself after "
                  "its KeepAliveSeconds. Percent of one core; target <= 0.3 %.", "",
                  "| variant | /proc | sampler | perf | target <= 0.3 % | wake-ups/s | RSS MB | threads | children during window | unloaded after |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in idle:
            f3 = lambda k, d=3: f"{r[k]:.{d}f}" if r.get(k) is not None else "–"
            ua = r.get("unloaded_after_s")
            ka = f"{ua:.1f} s (KeepAliveSeconds {r['keep_alive_s']})" if ua is not None else ("not unloaded" if "keep_alive_s" in r else "–")
            lines.append(f"| {r['kind']} | {f3('proc_core_percent')} | {f3('sampler_core_percent')} | {f3('perf_core_percent')} "
                         f"| {'✓' if r['proc_core_percent'] <= 0.3 else '✗'} | {f3('perf_wakeups_per_s', 1)} | {f3('rss_mb', 0)} "
                         f"| {r.get('threads', '–')} | {len(r['children'])} | {ka} |")
        lines.append("")
    conditions = [x for x in meta.get("findings") or [] if x["what"].startswith("benchmark:")]
    findings = [x for x in meta.get("findings") or [] if not x["what"].startswith("benchmark:")]
    if conditions:
        lines += ["## Conditions that did not hold", ""]
        lines += [f"- **{x['what'][len('benchmark: '):]}**: not so {x['count']} time(s); first: {x['detail']}" for x in conditions]
        lines.append("")
    lines += ["## Against the contract", ""]
    if findings:
        lines += ["What the gateway did that the contract (issue 15) does not say, each with its first occurrence:", ""]
        lines += [f"- **{x['what']}**: not so {x['count']} time(s); first: {x['detail']}" for x in findings]
    else:
        lines.append("Every check held: /v1/models' shape and states, load answering at once, unload returning once the "
                     "child is gone, on-demand requests served, no child while unloaded, the keep-alive unload.")
    lines.append("")
    return "\n".join(lines)


def plan_summary(p):
    if not isinstance(p, dict):
        return str(p)[:120]
    keys = [k for k in ("profile", "budget_percent", "mode", "cap_percent", "yield", "threads", "backend") if p.get(k) is not None]
    return ", ".join(f"{k} {p[k]}" for k in keys) or ", ".join(list(p)[:6])


# ------------------------------------------------------------------------------------------------------------ stand-in

def stand_in():
    """The contract, played by a small HTTP server, so that --dry-run exercises every request the benchmark makes.
    A load reads the whole GGUF (so cold and warm differ as they would) in a child that names the model's path, as
    llama-server does, and keeps it until unloaded or idle for KeepAliveSeconds."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    models, i = {}, 0
    while f"Models__{i}__Path" in os.environ:
        e = lambda k, d=None: os.environ.get(f"Models__{i}__{k}", d)
        models[e("Id")] = {"path": e("Path"), "keep_alive": float(e("KeepAliveSeconds", "900")), "state": "unloaded",
                           "child": None, "last_used": time.monotonic(), "ready": threading.Event()}
        i += 1
    lock, samples = threading.Lock(), []
    # MODEL_LOAD_STAND_IN_FAULTS=blocking-load,early-unload: break the contract on purpose, to see the findings written.
    faults = set(filter(None, os.environ.get("MODEL_LOAD_STAND_IN_FAULTS", "").split(",")))

    def loader(m):
        m["child"] = subprocess.Popen([sys.executable, "-c", "import sys,time\nf=open(sys.argv[2],'rb')\nwhile f.read(8<<20): pass\n"
                                       "print('ok',flush=True)\ntime.sleep(1e9)", "--model", m["path"]], stdout=subprocess.PIPE)
        m["child"].stdout.readline()
        time.sleep(0.1)
        with lock:
            m["state"], m["last_used"], m["load_seconds"] = "ready", time.monotonic(), round(time.monotonic() - m["load_started"], 3)
            m["ready"].set()

    def load(m):
        with lock:
            if m["state"] == "unloaded":
                m["state"], m["load_started"] = "loading", time.monotonic()
                m["ready"].clear()
                threading.Thread(target=loader, args=(m,), daemon=True).start()

    def unload(m):
        if m["state"] == "loading":
            m["ready"].wait(60)
        with lock:
            child, m["child"], m["state"] = m["child"], None, "unloaded"
        if child and "early-unload" in faults:
            threading.Timer(0.5, lambda: (child.kill(), child.wait())).start()
        elif child:
            child.kill()
            child.wait()

    def sampler():
        last = (cpu_ticks(os.getpid()), time.monotonic())
        while True:
            time.sleep(1)
            now = (cpu_ticks(os.getpid()), time.monotonic())
            samples.append({"sequence": len(samples), "gateway_percent": (now[0] - last[0]) / TICK / (now[1] - last[1]) * 100 / CORES})
            last = now
            for m in list(models.values()):
                if m["state"] == "ready" and m["keep_alive"] > 0 and time.monotonic() - m["last_used"] > m["keep_alive"]:
                    unload(m)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body):
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            if self.path == "/health":
                self.send(200, {"status": "ok"})
            elif self.path == "/v1/models":
                self.send(200, {"object": "list", "data": [{"id": k, "object": "model", "state": m["state"],
                                                            "load_seconds": m.get("load_seconds"),
                                                            "meta": {"bytes": os.path.getsize(m["path"])}} for k, m in models.items()]})
            elif self.path.startswith("/admin/cpu/samples"):
                after = re.search(r"after=(-?\d+)", self.path)
                chosen = [s for s in samples if after and s["sequence"] > int(after.group(1))]
                self.send(200, {"interval_ms": 1000, "next": len(samples), "dropped": 0, "samples": chosen})
            else:
                self.send(404, {"error": {"message": "not found", "type": "invalid_request_error", "param": None, "code": None}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            action = re.fullmatch(r"/admin/models/([^/]+)/(load|unload)", self.path)
            if action and action.group(1) in models:
                m = models[action.group(1)]
                (load if action.group(2) == "load" else unload)(m)
                if action.group(2) == "load" and "blocking-load" in faults:
                    m["ready"].wait(60)
                self.send(200, {"id": action.group(1), "state": m["state"]})
            elif self.path == "/v1/chat/completions" and body.get("model") in models:
                m = models[body["model"]]
                load(m)
                if not m["ready"].wait(30):
                    self.send(503, {"error": {"message": "loading", "type": "server_error", "param": None, "code": "model_loading"}})
                    return
                time.sleep(0.02)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for k in range(body.get("max_tokens", 4)):
                    delta = {"role": "assistant", "content": None} if k == 0 else {"content": f"t{k}"}
                    self.wfile.write(f"data: {json.dumps({'choices': [{'index': 0, 'delta': delta}]})}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.005)
                self.wfile.write(b"data: [DONE]\n\n")
                m["last_used"] = time.monotonic()
                self.close_connection = True
            else:
                self.send(404, {"error": {"message": "not found", "type": "invalid_request_error", "param": None, "code": None}})

    threading.Thread(target=sampler, daemon=True).start()
    port = int(os.environ["ASPNETCORE_URLS"].rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    def stop(*_):
        for m in models.values():
            if m["child"]:
                m["child"].kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


# ---------------------------------------------------------------------------------------------------------------- main

def parser():
    p = argparse.ArgumentParser(prog="bench/model-load.sh", description=__doc__.split("\n\n")[0].split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(PRESETS), metavar="PRESET|ID=GGUF",
                   help=f"models, smallest first (default: {' '.join(PRESETS)}); the first two are the idle phase's")
    p.add_argument("--phases", default="load,ttft,idle", help="comma-separated, of load, ttft, idle (default: %(default)s)")
    p.add_argument("--reps", type=int, help="loads per model and kind, cold and warm (default: 5; 2 with --dry-run)")
    p.add_argument("--ttft-reps", type=int, default=None, help="request pairs per model (default: --reps)")
    p.add_argument("--idle-seconds", type=float, help="the idle window (default: 120; 10 with --dry-run)")
    p.add_argument("--settle", type=float, help="seconds left alone before the idle window (default: 15; 2 with --dry-run)")
    p.add_argument("--idle-variants", default="fresh,after-keep-alive", help="of fresh, after-keep-alive (default: %(default)s)")
    p.add_argument("--keep-alive", type=int, help="KeepAliveSeconds of the after-keep-alive variant (default: 10; 3 with --dry-run)")
    p.add_argument("--max-tokens", type=int, default=8, help="of the TTFT requests (default: %(default)s)")
    p.add_argument("--poll-ms", type=float, default=25, help="how often /v1/models is asked during a load (default: %(default)s)")
    p.add_argument("--ceiling", type=float, default=180, help="seconds a load may take before it counts as failed (default: %(default)s)")
    p.add_argument("--out", help="results directory (default: docs/benchmarks/model-load; a temporary one with --dry-run)")
    p.add_argument("--work", help="where gateway logs go (default: a temporary directory, kept)")
    p.add_argument("--shared-files", dest="copies", action="store_false",
                   help="serve the GGUF files themselves, not private copies beside them (another process that maps them "
                   "keeps them cached, so the cold loads are not cold)")
    p.add_argument("--dry-run", action="store_true", help="run every step against a stand-in gateway that follows the contract, "
                   "with 2 repetitions and a 10 s idle window unless given; nothing is built")
    p.add_argument("--check", action="store_true", help=argparse.SUPPRESS)  # validate the arguments and stop
    for name in ("dll", "bin", "launcher", "root"):
        p.add_argument(f"--{name}", help=argparse.SUPPRESS)
    return p


def parse(argv):
    p = parser()
    a = p.parse_args(argv)
    a.phases = [x for x in a.phases.split(",") if x]
    a.idle_variants = [x for x in a.idle_variants.split(",") if x]
    bad = [x for x in a.phases if x not in ("load", "ttft", "idle")]
    if bad or not a.phases:
        p.error(f"--phases: {','.join(bad) or 'none given'}; choose from load, ttft, idle")
    bad = [x for x in a.idle_variants if x not in ("fresh", "after-keep-alive")]
    if bad or not a.idle_variants:
        p.error(f"--idle-variants: {','.join(bad) or 'none given'}; choose from fresh, after-keep-alive")
    # A dry run is short unless told otherwise.
    for name, real, dry in (("reps", 5, 2), ("idle_seconds", 120, 10), ("settle", 15, 2), ("keep_alive", 10, 3)):
        if getattr(a, name) is None:
            setattr(a, name, dry if a.dry_run else real)
    a.ttft_reps = a.reps if a.ttft_reps is None else a.ttft_reps
    for name, low in (("reps", 1), ("ttft_reps", 1), ("keep_alive", 1), ("max_tokens", 2)):
        if getattr(a, name) < low:
            p.error(f"--{name.replace('_', '-')} must be at least {low}")
    for name in ("idle_seconds", "poll_ms", "ceiling"):
        if getattr(a, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be more than 0")
    if a.settle < 0:
        p.error("--settle must be 0 or more")
    if "idle" in a.phases and len(a.models) < 2:
        p.error("--models: the idle phase needs two models")
    a.poll = a.poll_ms / 1000
    a.root = a.root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not a.out and not a.dry_run:
        a.out = os.path.join(a.root, "docs", "benchmarks", "model-load")
    # Settings given to the gateway through the environment belong to the command.
    env = "".join(f"{k}={v} " for k, v in sorted(os.environ.items()) if k.startswith(("Cpu__", "LlamaServer__", "Models__", "Proxy__")))
    a.command = env + "bench/model-load.sh" + ("".join(f" {x}" for x in argv if not x.startswith(("--dll", "--bin", "--launcher", "--root", "--check"))))
    if not a.dry_run and not a.check and not (a.dll and a.bin and a.launcher):
        p.error("run it through bench/model-load.sh, which builds the gateway and passes --dll, --bin and --launcher")
    return a


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "stand-in":
        stand_in()
    elif len(sys.argv) > 1 and sys.argv[1] == "report":
        print(markdown(json.load(open(sys.argv[2]))))
    else:
        argv = sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "run" else sys.argv[1:]
        a = parse(argv)
        if not a.check:
            run(a)


if __name__ == "__main__":
    main()
