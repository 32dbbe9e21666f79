#!/usr/bin/env python3
"""Latency a proxy adds in front of llama-server, measured against llama-server itself in the same run.

For each target (name=url), and each concurrency, sends chat completions in interleaved rounds so that
drift on a shared machine hits every target alike:
  - non-streaming with max_tokens 1: time until the whole response is read;
  - streaming: time to the first content chunk (TTFT).
Prints a Markdown table of p50/p99 per target and the added latency against the first target, the tail as
ratios (p99/p50 and max/median: a stall of a few requests shows in max/median even when p99 hides it), and the
requests that failed (a proxy that fails fast must not look fast). --slow FILE lists every request over 10x its
cell's median, with its wall-clock time, to line up with llama-server's log or a connection count.
Every cell starts with a warm-up per target (--warmup requests per client) that is not measured: the gateway is
a long-running service, and its JIT compiles the request path over the first few hundred requests.
Standard library only (no numpy on the machines this runs on).
"""
import argparse, http.client, json, os, socket, sys, threading, time
from urllib.parse import urlparse

PROMPT = [{"role": "user", "content": "Say hello."}]


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a UNIX socket: how the gateway itself reaches llama-server."""

    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class Client:
    """One keep-alive connection, as an SDK would hold. url: http://host:port or unix:/path.sock"""

    def __init__(self, url, headers):
        self.headers = headers
        if url.startswith("unix:"):
            self.conn = UnixConnection(url[5:])
        else:
            u = urlparse(url)
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def request(self, stream):
        body = json.dumps({"messages": PROMPT, "max_tokens": 1 if not stream else 4,
                           "temperature": 0, "stream": stream, "cache_prompt": True}).encode()
        start = time.perf_counter()
        self.started = time.time()
        self.conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json", **self.headers})
        resp = self.conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {resp.read()[:200]!r}")
        if not stream:
            resp.read()
            return time.perf_counter() - start
        first = None
        while True:
            line = resp.readline()
            if not line:
                break
            if first is None and line.startswith(b"data: {") and b'"content":"' in line:
                first = time.perf_counter() - start
            if line.startswith(b"data: [DONE]"):
                resp.read()
                break
        # llama-server closes the connection after a stream despite announcing keep-alive; every path
        # gets a fresh connection per stream so they are measured alike.
        self.conn.close()
        if first is None:
            raise RuntimeError("stream had no content chunk")
        return first


def run_round(url, headers, concurrency, per_client, stream, sink, errors, think=0.0, stamps=None):
    def worker():
        c = Client(url, headers)
        for _ in range(per_client):
            try:
                sink.append(c.request(stream))
                if stamps is not None:
                    stamps.append((c.started, sink[-1]))
            except Exception as e:  # counted and reported; the client starts over on a new connection
                errors.append(repr(e))
                c.conn.close()
                c = Client(url, headers)
            if think:
                time.sleep(think)
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def process_cpu_seconds(pids):
    """User + system CPU of the given processes (and their threads), from /proc."""
    total = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Watch:
    """Samples llama-server's open connections (socket descriptors) and threads every 50 ms: a cell's peak of
    both says whether its clients held more connections than llama-server has fixed HTTP threads."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, (0, 0), threading.Event()
        self.idle_threads = self.sample()[1]  # before any request: the fixed HTTP threads and the rest
        threading.Thread(target=self.run, daemon=True).start()

    def sample(self):
        fds = 0
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                fds += os.readlink(f"/proc/{self.pid}/fd/{fd}").startswith("socket:")
            except OSError:
                pass
        return fds, len(os.listdir(f"/proc/{self.pid}/task"))

    def run(self):
        while not self.stop.wait(0.05):
            try:
                c, t = self.sample()
            except OSError:
                return
            self.peak = (max(self.peak[0], c), max(self.peak[1], t))

    def take(self):
        peak, self.peak = self.peak, (0, 0)
        return peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="+", help="name=url; the first is the baseline (llama-server itself)")
    ap.add_argument("--requests", type=int, default=2000, help="requests per target, mode and concurrency")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=100, help="unmeasured requests per client before each cell")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--header", action="append", default=[], help="name:Header: value (per target)")
    ap.add_argument("--cpu", action="append", default=[], help="name:pid[,pid...] whose CPU is counted per request")
    ap.add_argument("--watch", type=int, help="llama-server's pid: report its peak connections and threads per cell")
    ap.add_argument("--slow", help="file to append requests over 10x their cell's median to (wall-clock start, ms)")
    ap.add_argument("--think", type=float, default=0, help="ms each client waits after a request: sporadic traffic, "
                    "where the proxy's threads fall asleep between requests")
    args = ap.parse_args()
    targets = [t.split("=", 1) for t in args.targets]
    headers = {name: {} for name, _ in targets}
    for h in args.header:
        name, rest = h.split(":", 1)
        key, value = rest.split(":", 1)
        headers[name][key.strip()] = value.strip()
    cpu_pids = {name: [int(p) for p in pids.split(",")] for name, pids in (c.split(":", 1) for c in args.cpu)}

    watch = Watch(args.watch) if args.watch else None
    peaks = []
    rows = []
    for stream in (False, True):
        for conc in [int(c) for c in args.concurrency.split(",")]:
            samples = {name: [] for name, _ in targets}
            errors = {name: [] for name, _ in targets}
            round_p50 = {name: [] for name, _ in targets}
            stamps = {name: [] for name, _ in targets}
            cpu = {name: 0.0 for name, _ in targets}
            think = args.think / 1000
            for name, url in targets:  # warm-up: connections, prompt cache, JIT
                run_round(url, headers[name], conc, args.warmup, stream, [], [], think)
            per_client = max(1, args.requests // args.rounds // conc)
            for _ in range(args.rounds):
                for name, url in targets:
                    pids = cpu_pids.get(name, [])
                    before = process_cpu_seconds(pids)
                    got = []
                    run_round(url, headers[name], conc, per_client, stream, got, errors[name], think, stamps[name])
                    cpu[name] += process_cpu_seconds(pids) - before
                    samples[name] += got
                    round_p50[name].append(percentile(got, 50))
            if watch:
                conns, threads = watch.take()
                peaks.append(f"{'stream TTFT' if stream else 'max_tokens 1'}, {conc} clients: {conns - 1} connections, "
                             f"{threads - watch.idle_threads} threads added")
            base_name = targets[0][0]
            base = samples[base_name]
            for name, _ in targets:
                s = samples[name]
                if errors[name]:
                    print(f"{name}: {len(errors[name])} failed, first: {errors[name][0]}", file=sys.stderr)
                # Each round of this target ran right after the baseline's: their difference cancels the drift of
                # a shared machine. The median over rounds, and the middle half of them, say how sure it is.
                median = percentile(s, 50)
                if args.slow:
                    with open(args.slow, "a") as f:
                        for at, took in stamps[name]:
                            if took > 10 * median:
                                print(f"{time.strftime('%H:%M:%S', time.gmtime(at))}.{int(at % 1 * 1000):03d} "
                                      f"{'stream' if stream else 'max_tokens_1'} c={conc} {name} {took * 1000:.1f} ms "
                                      f"(median {median * 1000:.2f})", file=f)
                paired = [(a - b) * 1000 for a, b in zip(round_p50[name], round_p50[base_name])]
                rows.append((("stream TTFT" if stream else "max_tokens 1"), conc, name, len(s), len(errors[name]),
                             percentile(s, 50) * 1000, percentile(s, 99) * 1000,
                             (percentile(s, 50) - percentile(base, 50)) * 1000,
                             (percentile(s, 99) - percentile(base, 99)) * 1000,
                             percentile(paired, 50), percentile(paired, 25), percentile(paired, 75),
                             cpu[name] / len(s) * 1000 if name in cpu_pids and s else None,
                             percentile(s, 99) / median, max(s) / median, max(s) * 1000))

    print("| request | clients | path | n | failed | p50 ms | p99 ms | added p50 ms | added p99 ms "
          "| added p50, paired rounds: median [middle half] ms | proxy CPU ms/request | p99/p50 | max ms | max/median |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        cpu_cell = "" if r[12] is None else f"{r[12]:.2f}"
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.2f} | {r[6]:.2f} | {r[7]:+.2f} | {r[8]:+.2f} "
              f"| {r[9]:+.2f} [{r[10]:+.2f}, {r[11]:+.2f}] | {cpu_cell} | {r[13]:.2f} | {r[15]:.1f} | {r[14]:.1f} |")
    if peaks:
        print()
        print("llama-server's peak per cell, all paths together: open connections, and HTTP threads it added beyond its "
              "fixed ones (which it does only when every fixed thread holds a connection; an added thread lives 3 s "
              "after its last connection, so a cell can inherit the previous one's): " + "; ".join(peaks) + ".")


if __name__ == "__main__":
    main()
