#!/usr/bin/env python3
"""Driver of bench/faults.sh: starts gateways, breaks things, and counts what clients and the machine see.

Standard library only. Every request is made once (no retries) and classified:
  complete   200 and the whole answer (a stream ending with "data: [DONE]", a non-stream's JSON with a choice)
  retry      502 or 503 with Retry-After and an OpenAI-shaped body
  aborted    a stream whose connection broke before [DONE] (the client knows it is incomplete)
  WRONG      anything else: a truncated answer that looks complete, an error without Retry-After, a hang
"""
import argparse, glob, http.client, json, os, signal, socket, subprocess, sys, threading, time

CHAT = "/v1/chat/completions"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Gateway:
    def __init__(self, dll, **settings):
        self.port = free_port()
        env = dict(os.environ, ASPNETCORE_URLS=f"http://127.0.0.1:{self.port}", **{k: str(v) for k, v in settings.items()})
        self.log = open(f"/tmp/faults-bench-{self.port}.log", "w")
        self.proc = subprocess.Popen(["dotnet", dll], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def get(self, path, timeout=5):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def state(self):
        try:
            return json.loads(self.get("/ready")[1])
        except (OSError, ValueError, http.client.HTTPException):
            return None

    def wait_ready(self, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}, see {self.log.name}")
            s = self.state()
            if s and s["status"] == "ready":
                return s
            time.sleep(0.05)
        raise RuntimeError(f"gateway not ready within {timeout} s, see {self.log.name}")

    def model(self):
        return json.loads(self.get("/v1/models")[1])["data"][0]["id"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.log.close()
        os.unlink(self.log.name)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return ") Z " not in f.read()
    except OSError:
        return False


def leftovers(pid):
    """cgroups llmgw-PID (v1 hierarchies and v2's, at the top or beside our own group), socket directories, sockets."""
    dirs = glob.glob(f"/tmp/llmgw-{pid}-*")
    groups = set()
    for line in open("/proc/self/cgroup").read().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            h = os.path.join("/sys/fs/cgroup", c)
            for parent in {h, h + path}:
                g = os.path.join(parent, f"llmgw-{pid}")
                if os.path.isdir(g):
                    groups.add(os.path.realpath(g))
    sockets = [p for d in dirs for p in glob.glob(os.path.join(d, "*.sock"))]
    return sorted(groups), dirs, sockets


def chat(port, model, stream, max_tokens, timeout=60, prompt="Tell a story."):
    """One request, read to its end; returns (outcome, detail)."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "stream": stream})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            c.request("POST", CHAT, body, {"Content-Type": "application/json"})
            r = c.getresponse()
        except socket.timeout:
            return "WRONG", "hang: no answer"
        except OSError as e:
            return "WRONG", f"no response: {e}"
        if r.status in (502, 503):
            text = r.read()
            shaped = b'"error"' in text and b'"type"' in text
            return ("retry", str(r.status)) if r.getheader("Retry-After") and shaped else ("WRONG", f"{r.status} without Retry-After: {text[:200]!r}")
        if r.status != 200:
            return "WRONG", f"{r.status}: {r.read()[:200]!r}"
        try:
            text = r.read()
        except socket.timeout:
            return "WRONG", "hang mid-answer"
        except (OSError, http.client.IncompleteRead) as e:
            return ("aborted", type(e).__name__) if stream else ("WRONG", f"non-stream broke off: {e}")
        if stream:
            return ("complete", "") if text.rstrip().endswith(b"data: [DONE]") else ("WRONG", f"stream ended cleanly without [DONE]: {text[-200:]!r}")
        try:
            json.loads(text)["choices"][0]["message"]["content"]
            return "complete", ""
        except (ValueError, KeyError, IndexError):
            return "WRONG", f"non-stream 200 not whole: {text[:200]!r}"
    finally:
        c.close()


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def kill_gateway(args):
    settings = dict(LlamaServer__StopTimeoutSeconds=args.grace, LlamaServer__ContextSize=4096)
    killed, child_after, not_swept, survivors = [], [], 0, 0
    for i in range(args.count):
        g = Gateway(args.gateway, **settings)
        s = g.wait_ready()
        # What earlier killed gateways left must be gone now that this one started.
        for pid in killed[-3:]:
            groups, dirs, socks = leftovers(pid)
            not_swept += len(groups) + len(dirs) + len(socks)
        child = s["pid"]
        body = json.dumps({"model": g.model(), "messages": [{"role": "user", "content": "Tell a long story."}], "max_tokens": 3000, "stream": True})
        c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=60)
        c.request("POST", CHAT, body, {"Content-Type": "application/json"})
        r = c.getresponse()
        assert r.status == 200 and r.read1(64), "no stream"
        os.kill(g.pid, signal.SIGKILL)
        t0 = time.monotonic()
        g.proc.wait()
        while alive(child) and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        child_after.append(time.monotonic() - t0)
        if alive(child):
            survivors += 1
        c.close()
        killed.append(g.pid)
        g.log.close()
        os.unlink(g.log.name)
        log(f"kill {i + 1}/{args.count}: gateway {g.pid}, llama-server {child} gone after {child_after[-1]:.2f} s")
    last = Gateway(args.gateway, **settings)
    last.wait_ready()
    last.stop()
    killed.append(last.pid)
    groups = dirs = socks = 0
    for pid in killed:
        g_, d_, s_ = leftovers(pid)
        groups, dirs, socks = groups + len(g_), dirs + len(d_), socks + len(s_)
    alive_children = sum(1 for p in os.popen("pgrep -x llama-server").read().split() if any(f"llmgw-{k}" in open(f"/proc/{p}/cmdline").read() for k in killed))
    print("| | |")
    print("| --- | --- |")
    print(f"| gateways killed with SIGKILL mid-stream | {args.count} |")
    print(f"| llama-server still running 60 s after its gateway's kill | {survivors} |")
    print(f"| llama-server's life after its gateway's kill (launcher grace {args.grace} s): p50 / max | {pct(child_after, 50):.2f} s / {max(child_after):.2f} s |")
    print(f"| things of a killed gateway not swept once the next one was ready | {not_swept} |")
    print(f"| at the end, after one more gateway started and stopped: llama-server / cgroups / socket directories / sockets | {alive_children} / {groups} / {dirs} / {socks} |")


def kill_child(args):
    # Each kill is a crash: a short crash window keeps the back-off at its first step and the kills from being a crash loop.
    g = Gateway(args.gateway, LlamaServer__Parallel=2, LlamaServer__RestartDelaySeconds=0.5, LlamaServer__CrashWindowSeconds=1, LlamaServer__MaxCrashes=1000)
    try:
        g.wait_ready()
        model = g.model()
        outcomes, lock, stop = {}, threading.Lock(), threading.Event()
        completions = []  # monotonic time of every complete answer

        def client(n):
            i = 0
            while not stop.is_set():
                stream = (n + i) % 2 == 0
                i += 1
                outcome, detail = chat(g.port, model, stream, 48)
                with lock:
                    key = (("stream" if stream else "non-stream"), outcome, detail if outcome == "retry" else "")
                    outcomes[key] = outcomes.get(key, 0) + 1
                    if outcome == "complete":
                        completions.append(time.monotonic())
                    if outcome == "WRONG":
                        log(f"WRONG: {detail}")
                if outcome == "retry":
                    time.sleep(0.1)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(8)]
        for t in threads:
            t.start()
        ready_after, served_after = [], []
        for k in range(args.count):
            time.sleep(2)
            pid = g.state()["pid"]
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            while True:
                s = g.state()
                if s and s["status"] == "ready" and s["pid"] != pid:
                    break
                time.sleep(0.01)
            ready_after.append(time.monotonic() - t0)
            while True:
                with lock:
                    done = [t for t in completions if t > t0 + ready_after[-1] - 0.0]
                if done:
                    break
                time.sleep(0.01)
            served_after.append(min(done) - t0)
            log(f"kill {k + 1}/{args.count}: ready again after {ready_after[-1]:.2f} s, a complete answer after {served_after[-1]:.2f} s")
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join(90)
        hung = sum(t.is_alive() for t in threads)
        print(f"{args.count} SIGKILLs of llama-server, 2 s apart, under 8 clients (half streaming, 48 tokens each, --parallel 2,")
        print("LlamaServer:RestartDelaySeconds 0.5 with a 1 s crash window, so every restart waits 0.5 s; a client waits 0.1 s after a 502/503).")
        print()
        print("| request | outcome | count |")
        print("| --- | --- | --- |")
        for (kind, outcome, detail), n in sorted(outcomes.items()):
            print(f"| {kind} | {outcome}{' ' + detail if detail else ''} | {n} |")
        print(f"| clients still waiting at the end (hangs) | | {hung} |")
        print()
        print("| time from the kill | p50 | max |")
        print("| --- | --- | --- |")
        print(f"| /ready 200 with a new llama-server | {pct(ready_after, 50):.2f} s | {max(ready_after):.2f} s |")
        print(f"| a complete answer on it | {pct(served_after, 50):.2f} s | {max(served_after):.2f} s |")
    finally:
        g.stop()


def slow_clients(args):
    rows = []
    # --parallel 2: with one slot the slow reader's own generation holds it, and the others wait in the queue as
    # behind any long generation (a first run with one slot, at load 26, gave them 429 after Proxy:QueueTimeoutSeconds).
    for parallel in args.parallel:
        g = Gateway(args.gateway, LlamaServer__Parallel=parallel, LlamaServer__ContextSize=4096)
        try:
            g.wait_ready()
            model = g.model()

            def measure():
                lat, outs = [], {}
                for _ in range(args.count):
                    t = time.monotonic()
                    o, _ = chat(g.port, model, True, 16, timeout=120)
                    lat.append(time.monotonic() - t)
                    outs[o] = outs.get(o, 0) + 1
                return lat, outs

            lat, outs = measure()
            rows.append((parallel, "alone", lat, outs, ""))
            stop = threading.Event()
            cut = []

            def slow_reader():
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", g.port))
                body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Tell a long story."}], "max_tokens": 3000, "stream": True})
                s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
                t0 = time.monotonic()
                try:
                    while not stop.is_set():
                        if not s.recv(1):
                            cut.append(time.monotonic() - t0)
                            break
                        time.sleep(1)
                except OSError:
                    cut.append(time.monotonic() - t0)
                s.close()

            loris = []
            for _ in range(200):
                s = socket.socket()
                s.connect(("127.0.0.1", g.port))
                s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\n".encode())
                loris.append(s)

            def trickle():
                closed = 0
                while not stop.wait(1):
                    for s in loris:
                        try:
                            s.sendall(b"X-Slow: 1\r\n")
                        except OSError:
                            closed += 1

            threads = [threading.Thread(target=slow_reader, daemon=True), threading.Thread(target=trickle, daemon=True)]
            for t in threads:
                t.start()
            time.sleep(1)
            lat, outs = measure()
            note = f"slow reader cut by the gateway after {cut[0]:.0f} s" if cut else "slow reader still connected"
            rows.append((parallel, "beside 1 slow reader + 200 slowloris", lat, outs, note))
            stop.set()
            for s in loris:
                s.close()
        finally:
            g.stop()
    print(f"A normal client's streamed chat (16 tokens), {args.count} in a row, alone and then beside a client reading a")
    print("3000-token stream one byte a second (4 KB receive buffer) and 200 connections sending one header line a second.")
    print()
    print("| --parallel | load | outcomes | p50 | p95 | max | note |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for parallel, load, lat, outs, note in rows:
        print(f"| {parallel} | {load} | {', '.join(f'{k} {v}' for k, v in outs.items())} | {pct(lat, 50) * 1000:.0f} ms | {pct(lat, 95) * 1000:.0f} ms | {max(lat) * 1000:.0f} ms | {note} |")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["kill-gateway", "kill-child", "slow-clients"])
    p.add_argument("count", nargs="?", type=int)
    p.add_argument("--gateway", required=True)
    p.add_argument("--parallel", type=int, action="append", help="LlamaServer:Parallel for slow-clients (repeatable; default 2)")
    p.add_argument("--grace", type=float, default=1.0, help="LlamaServer:StopTimeoutSeconds, the launcher's grace (kill-gateway)")
    args = p.parse_args()
    args.parallel = args.parallel or [2]
    args.count = args.count or {"kill-gateway": 100, "kill-child": 10, "slow-clients": 30}[args.mode]
    {"kill-gateway": kill_gateway, "kill-child": kill_child, "slow-clients": slow_clients}[args.mode](args)


if __name__ == "__main__":
    main()
