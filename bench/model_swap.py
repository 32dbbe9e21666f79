#!/usr/bin/env python3
"""Issue 16's benchmark: several models within one memory and one CPU budget. Stdlib only; the gateway start, the
progress line, the contract's endpoints and the load average come from bench/model_load.py.

  model_swap.py run [options]        (bench/model-swap.sh builds the gateway and passes --dll, --bin, --launcher)
  model_swap.py report RESULTS.json  the markdown tables again from the raw results

Three measurements:
  swap   two models that cannot both fit (Memory__BudgetBytes=67108864, Memory__ReserveBytes=0: each is "larger than
         the budget" and loads alone; Models__SwapHoldSeconds=0): time to the first token of a streamed request for B
         while A is loaded and idle (A is evicted, B loaded), against the same request with B loaded and with nothing
         loaded (a plain load on demand); both directions, several repetitions.
  cpu    both models loaded and generating at once (one streamed request each, ignore_eos, kept going for a window):
         llama-server's CPU per 100 ms sample from /admin/cpu/samples (child_percent: percent of the machine, every
         model's child together) against the budget, and each model's share from llmgw_model_cpu_seconds_total;
         Cpu profile Custom 50 % Cap and the default Invisible.
  cache  the first request after a reload with a ~1,000-token system prompt: cached by a first request, the model
         unloaded by POST /admin/models/{id}/unload, loaded again by POST load (waited until ready), then the same
         system prompt with another user message: time to first token and cached_tokens, with
         Models__KeepPromptCache=true and false (one gateway each).
"""
import argparse, datetime, http.client, json, os, re, statistics, struct, sys, tempfile, threading, time, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_load as ml  # noqa: E402  (the shared helpers: Gateway, Api, Progress, Findings, loadavg, clock)

PROMPT = ml.PROMPT
CORES = ml.CORES


def log(msg):
    print(f"[model-swap] {msg}", file=sys.stderr, flush=True)


ml.log = log  # model_load's helpers (copying a file, ...) speak under this benchmark's name


# ------------------------------------------------------------------------------------------------------------ requests

def stream(gw, model_id, messages, max_tokens, extra=None, stop=None, timeout=300):
    """One streamed chat request: seconds to the head and to the first token (first delta with content), tokens,
    and the usage / timings of the last chunk (stream_options.include_usage). stop (an Event) ends it early."""
    body = {"model": model_id, "stream": True, "max_tokens": max_tokens, "temperature": 0, "messages": messages,
            "stream_options": {"include_usage": True}, **(extra or {})}
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=timeout)
    t0 = time.monotonic()
    out = {"status": None, "head_s": None, "ttft_s": None, "tokens": 0, "usage": None, "timings": None}
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(body).encode(), ml.headers())
        r = conn.getresponse()
        out.update(status=r.status, head_s=time.monotonic() - t0)
        if r.status != 200:
            out["error"] = r.read().decode(errors="replace")[:500]
            return out
        for raw in r:
            if stop is not None and stop.is_set():
                out["stopped"] = True
                break
            line = raw.decode(errors="replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                continue
            if chunk.get("usage"):
                out["usage"] = chunk["usage"]
            if chunk.get("timings"):
                out["timings"] = chunk["timings"]
            choices = chunk.get("choices") or []
            delta = (choices[0].get("delta") or {}) if choices and isinstance(choices[0], dict) else {}
            if delta.get("content"):
                out["tokens"] += 1
                if out["ttft_s"] is None:
                    out["ttft_s"] = time.monotonic() - t0
        return out
    except OSError as e:
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    finally:
        out["total_s"] = time.monotonic() - t0
        conn.close()


def user(text):
    return [{"role": "user", "content": text}]


def metrics(gw):
    """Prometheus text from /metrics as {(name, labels): value}."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    try:
        conn.request("GET", "/metrics", headers=ml.headers())
        text = conn.getresponse().read().decode(errors="replace")
    finally:
        conn.close()
    found = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m and not line.startswith("#"):
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
            try:
                found[(m.group(1), labels)] = float(m.group(3))
            except ValueError:
                pass
    return found


def metric(values, name, **labels):
    """The sum of a counter's series whose labels include these (otel adds more, such as otel_scope_name)."""
    return sum(v for (n, ls), v in values.items() if n == name and all((k, str(x)) in ls for k, x in labels.items()))


def models_env(models, **per_model):
    env = {}
    for i, m in enumerate(models):
        env[f"Models__{i}__Path"], env[f"Models__{i}__Id"] = m["path"], m["id"]
        env[f"Models__{i}__KeepAliveSeconds"], env[f"Models__{i}__Preload"] = "0", "false"
        for k, v in per_model.items():
            env[f"Models__{i}__{k}"] = str(v)
    return env


def start(a, env, name):
    gw = ml.Gateway(a, env, name)
    try:
        gw.wait_healthy()
    except Exception:
        gw.stop()
        raise
    return gw, ml.Api(gw, a.findings, a.poll)


def unload_all(api, models):
    for m in models:
        if api.state(m["id"]) != "unloaded":
            api.unload(m["id"])
            state, _, seen = api.wait_for(m["id"], {"unloaded"}, 60)
            if state != "unloaded":
                raise RuntimeError(f"{m['id']} did not unload: states {seen}")


def load_ready(a, api, model_id):
    """POST load, then /v1/models until ready: seconds, and the states seen."""
    t0 = time.monotonic()
    api.load(model_id)
    state, took, seen = api.wait_for(model_id, {"ready"}, a.ceiling, since=t0)
    a.findings.check(state == "ready", "a loaded model reaches ready", f"{model_id}: states {seen} after {took:.1f} s")
    return took, seen


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def spread(values, unit="s", scale=1.0, digits=2):
    v = [x * scale for x in values if x is not None]
    if not v:
        return "–"
    if len(v) == 1:
        return f"{v[0]:.{digits}f} {unit}"
    return f"{statistics.median(v):.{digits}f} {unit} ({min(v):.{digits}f} to {max(v):.{digits}f})"


def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# -------------------------------------------------------------------------------------------------------------- swap

def swap_phase(a, models, progress, rows, meta):
    """Two models, one at a time: on demand, loaded, and swapped into (the other one evicted)."""
    x, y = models[0], models[1]
    env = dict(models_env([x, y]), Memory__BudgetBytes="67108864", Memory__ReserveBytes="0", Models__SwapHoldSeconds="0",
               **a.profile_env)
    gw, api = start(a, env, "swap")
    try:
        # Warm-up (not counted): the request path's first use, and each model loaded once (page cache, JIT).
        for m in (x, y):
            stream(gw, m["id"], user(PROMPT), a.max_tokens, {"cache_prompt": False})
        m0 = metrics(gw)  # after the warm-up, whose second load evicted the first model
        progress.step("swap warm-up: each model served once")
        swaps = 0
        for rep in range(1, a.reps + 1):
            for first, second in ((x, y), (y, x)):
                # nothing loaded -> second (on demand); second again (loaded); first (evicts second); second (evicts first)
                unload_all(api, models)
                got = {}
                for kind, m in (("on-demand", second), ("loaded", second), ("swap-out", first), ("swap", second)):
                    if kind.startswith("swap"):
                        time.sleep(a.hold_pause)  # past SwapHoldSeconds (0 here) and the previous request's end
                    other = first if m is second else second
                    other_before = api.state(other["id"])
                    r = stream(gw, m["id"], user(PROMPT), a.max_tokens, {"cache_prompt": False})
                    after = {mm["id"]: api.state(mm["id"]) for mm in models}
                    ok = a.findings.check(r["status"] == 200 and r["ttft_s"] is not None, "every request of the swap phase is served",
                                          f"rep {rep} {kind} {m['id']}: {r}")
                    if kind.startswith("swap"):
                        swaps += 1
                        a.findings.check(other_before == "ready" and after[other["id"]] == "unloaded" and after[m["id"]] == "ready",
                                         "a request for a model that does not fit evicts the idle loaded one",
                                         f"rep {rep} {kind} {m['id']}: {other['id']} was {other_before!r}, after: {after}")
                    got[kind] = r["ttft_s"] if ok else None
                    rows.append({"phase": "swap", "model": m["id"], "from": other["id"] if kind.startswith("swap") else None,
                                 "kind": "swap" if kind.startswith("swap") else kind, "rep": rep, "status": r["status"],
                                 "head_s": r["head_s"], "ttft_s": r["ttft_s"], "tokens": r["tokens"], "states_after": after})
                f = lambda v: "failed" if v is None else f"{v:.3f} s"
                progress.step(f"swap rep {rep} -> {second['id']}: on demand {f(got['on-demand'])}, loaded {f(got['loaded'])}, "
                              f"swap {first['id']}->{second['id']} {f(got['swap'])} (and {second['id']}->{first['id']} {f(got['swap-out'])})")
        m1 = metrics(gw)
        evicted = metric(m1, "llmgw_model_unloads_total", reason="evicted") - metric(m0, "llmgw_model_unloads_total", reason="evicted")
        loads = metric(m1, "llmgw_model_loads_total") - metric(m0, "llmgw_model_loads_total")
        meta["swap_counters"] = {"swaps": swaps, "evicted_unloads": evicted, "loads": loads,
                                 "admin_unloads": metric(m1, "llmgw_model_unloads_total", reason="admin") - metric(m0, "llmgw_model_unloads_total", reason="admin")}
        a.findings.check(evicted == swaps, "every swap is counted as llmgw_model_unloads_total{reason=\"evicted\"}",
                         f"{swaps} swaps, evicted went up by {evicted}")
    finally:
        gw.stop()


# --------------------------------------------------------------------------------------------------------------- cpu

def cpu_phase(a, models, progress, rows, meta):
    """Both models loaded and generating at once; the sampler's child_percent per 100 ms against the budget."""
    two = models[:2]
    for name, profile_env, budget in a.cpu_profiles:
        gw, api = start(a, dict(models_env(two), **profile_env), "cpu-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower())
        try:
            for m in two:
                load_ready(a, api, m["id"])
            status, plan = gw.get("/admin/cpu/plan")
            meta.setdefault("cpu_plans", {})[name] = plan if status == 200 else None
            for m in two:  # warm-up: the request path
                stream(gw, m["id"], user(PROMPT), 4)
            stop, results = threading.Event(), {m["id"]: [] for m in two}

            def client(model_id):
                while not stop.is_set():
                    results[model_id].append(stream(gw, model_id, user(PROMPT), a.gen_tokens, {"ignore_eos": True}, stop=stop))

            threads = [threading.Thread(target=client, args=(m["id"],), daemon=True) for m in two]
            for t in threads:
                t.start()
            time.sleep(a.ramp)  # both past their prefill and decoding
            _, first = gw.get("/admin/cpu/samples")
            c0, t0 = metrics(gw), time.monotonic()
            time.sleep(a.window)
            c1, t1 = metrics(gw), time.monotonic()
            _, body = gw.get(f"/admin/cpu/samples?after={first['next'] - 1}")
            stop.set()
            for t in threads:
                t.join(60)
            samples = [s for s in body.get("samples", []) if s.get("child_percent") is not None]
            values = [s["child_percent"] for s in samples]
            busy = sum(1 for s in samples if s.get("busy"))
            shares = {m["id"]: (metric(c1, "llmgw_model_cpu_seconds_total", model=m["id"]) - metric(c0, "llmgw_model_cpu_seconds_total", model=m["id"]))
                      / (t1 - t0) * 100 / CORES for m in two}
            served = {k: sum(r["tokens"] for r in v) for k, v in results.items()}
            failed = {k: [r for r in v if r["status"] != 200 or r.get("error")] for k, v in results.items()}
            a.findings.check(not any(failed.values()), "the CPU phase's requests are served",
                             f"{name}: {[r for v in failed.values() for r in v][:2]}")
            row = {"phase": "cpu", "kind": name, "budget_percent": budget, "interval_ms": body.get("interval_ms"),
                   "dropped": body.get("dropped"), "samples": len(values), "busy_samples": busy, "window_s": t1 - t0,
                   "mean": statistics.mean(values) if values else None, "p50": percentile(values, 50),
                   "p95": percentile(values, 95), "p99": percentile(values, 99), "max": max(values) if values else None,
                   "over_budget": sum(1 for v in values if v > budget), "over_budget_10": sum(1 for v in values if v > budget * 1.1),
                   "model_percent": shares, "model_tokens": served, "curve": values,
                   "system_mean": statistics.mean([s["system_percent"] for s in samples if s.get("system_percent") is not None] or [0])}
            rows.append(row)
            share = ", ".join(f"{k} {v:.1f} %" for k, v in shares.items())
            progress.step(f"cpu {name}: {len(values)} samples, mean {row['mean']:.1f} %, p99 {row['p99']:.1f} %, max {row['max']:.1f} % "
                          f"of the machine (budget {budget} %); per model {share}")
        finally:
            gw.stop()


# ------------------------------------------------------------------------------------------------------------- cache

def system_prompt(target_words):
    """A long, fixed system prompt: runbook-like lines (about 1.3 tokens a word with the Qwen2 vocabulary)."""
    lines, i = [], 0
    hosts = ["web-01", "db-02", "cache-03", "mail-04", "vpn-05", "build-06"]
    words = 0
    while words < target_words:
        h = hosts[i % len(hosts)]
        line = (f"Rule {i + 1}: when {h} reports more than {10 + i % 7} failed logins within {i % 5 + 1} minutes from one "
                f"address, classify the event as suspicious, name the address and the account, and say whether a new "
                f"scheduled job or service appeared on {h} in the same hour.")
        lines.append(line)
        words += len(line.split())
        i += 1
    return "You are a security triage assistant. Answer in one line.\n" + "\n".join(lines)


def cache_phase(a, models, progress, rows, meta):
    m = models[a.cache_model]
    system = system_prompt(a.system_words)
    asks = ["Summarise: sshd accepted root from 203.0.113.7 at 03:12.", "Summarise: a cron job appeared on db-02 at 04:40.",
            "Summarise: 40 failed logins for admin on vpn-05 in 2 minutes.", "Summarise: mail-04 started a new service at 01:05."]
    for keep in ("true", "false"):
        env = dict(models_env([m]), Models__KeepPromptCache=keep, **a.profile_env)
        gw, api = start(a, env, f"cache-keep-{keep}")
        try:
            load_ready(a, api, m["id"])
            for rep in range(0, a.reps + 1):  # rep 0 warms up, not counted
                msgs = lambda k: [{"role": "system", "content": system}, {"role": "user", "content": asks[k % len(asks)]}]
                first = stream(gw, m["id"], msgs(rep), a.max_tokens)  # caches the system prompt
                hot = stream(gw, m["id"], msgs(rep + 1), a.max_tokens)  # the same, model never unloaded: the floor
                ml.Api.unload(api, m["id"])
                state, _, seen = api.wait_for(m["id"], {"unloaded"}, 60)
                a.findings.check(state == "unloaded", "POST unload leaves the model unloaded", f"{m['id']}: {seen}")
                load_s, seen = load_ready(a, api, m["id"])
                after = stream(gw, m["id"], msgs(rep + 2), a.max_tokens)
                for r in (first, hot, after):
                    a.findings.check(r["status"] == 200 and r["ttft_s"] is not None, "every request of the cache phase is served",
                                     f"keep {keep} rep {rep}: {str(r)[:400]}")
                cached = lambda r: ((r.get("usage") or {}).get("prompt_tokens_details") or {}).get("cached_tokens")
                prompt = lambda r: (r.get("usage") or {}).get("prompt_tokens")
                if rep > 0:
                    rows.append({"phase": "cache", "kind": f"keep={keep}", "rep": rep, "model": m["id"],
                                 "first_ttft_s": first["ttft_s"], "first_prompt_tokens": prompt(first), "first_cached": cached(first),
                                 "hot_ttft_s": hot["ttft_s"], "hot_cached": cached(hot),
                                 "load_s": load_s, "load_states": seen, "ttft_s": after["ttft_s"], "prompt_tokens": prompt(after),
                                 "cached_tokens": cached(after), "timings": after.get("timings"),
                                 "total_s": load_s + after["ttft_s"] if after["ttft_s"] is not None else None})
                    if keep == "true":
                        a.findings.check((cached(after) or 0) >= 0.8 * (prompt(first) or 0),
                                         "with KeepPromptCache the first request after a reload finds the system prompt cached",
                                         f"rep {rep}: cached_tokens {cached(after)} of {prompt(after)} (the first request had {prompt(first)})")
                f = lambda v: "failed" if v is None else f"{v:.3f} s"
                progress.step(f"cache keep={keep} {'warm-up' if rep == 0 else f'rep {rep}'}: first {f(first['ttft_s'])} "
                              f"({prompt(first)} tokens), hot {f(hot['ttft_s'])}, reload {load_s:.2f} s, after it {f(after['ttft_s'])} "
                              f"(cached {cached(after)} of {prompt(after)})")
        finally:
            gw.stop()
    meta["system_prompt_chars"] = len(system)


# -------------------------------------------------------------------------------------------------------------- png

def png(path, width, height, pixels):
    """pixels: rows of (r, g, b) tuples. PNG by hand: signature, IHDR, one IDAT (zlib), IEND."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in pixels)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def plot(path, curves, top=100):
    """Per-sample curves (percent of the machine) one above another, each with its budget as a dashed line; no text
    (the table says what is what): x is the sample (100 ms), y 0 to top %, grid every 10 %."""
    panel_h, pad = 160, 8
    width = max(200, max(len(c["values"]) for c in curves) * 2 + 2 * pad)
    height = len(curves) * (panel_h + pad) + pad
    img = [[(255, 255, 255)] * width for _ in range(height)]
    colors = [(31, 119, 180), (214, 39, 40), (44, 160, 44)]

    def put(x, y, c):
        if 0 <= x < width and 0 <= y < height:
            img[y][x] = c

    for i, c in enumerate(curves):
        y0 = pad + i * (panel_h + pad) + panel_h  # the panel's 0 %
        ys = lambda v: y0 - int(round(min(v, top) / top * panel_h))
        for g in range(0, top + 1, 10):
            for x in range(pad, width - pad):
                put(x, ys(g), (225, 225, 225) if g else (0, 0, 0))
        for x in range(pad, width - pad):
            if (x // 4) % 2 == 0:
                put(x, ys(c["budget"]), (0, 0, 0))
        prev = None
        for k, v in enumerate(c["values"]):
            x, y = pad + 2 * k, ys(v)
            if prev:
                lo, hi = sorted((prev[1], y))
                for yy in range(lo, hi + 1):
                    put(x - 1 if yy != y else x, yy, colors[i % len(colors)])
            put(x, y, colors[i % len(colors)])
            put(x + 1, y, colors[i % len(colors)])
            prev = (x, y)
    png(path, width, height, img)


# ------------------------------------------------------------------------------------------------------------ output

def markdown(results):
    meta, rows = results["meta"], results["rows"]
    L = [f"# Several models: swap time, CPU of two busy models, prompt cache across a reload (issue 16)", "",
         "```sh", meta["command"], "```", "",
         f"{meta['date']}; {meta['cores']} cores ({meta['cpu']}), kernel {meta['kernel']}; gateway {meta.get('commit', '?')}. "
         f"Load average (1, 5, 15 min) before: **{meta['loadavg_before']}**, after: **{meta.get('loadavg_after', '?')}**"
         + "".join(f"; {k}: {v[0]} -> {v[1]}" for k, v in meta.get("loadavg_phases", {}).items())
         + f". {meta.get('minutes', '?')} minutes. Models: "
         + ", ".join(f"`{m['id']}` ({m['bytes'] / 1e6:.0f} MB)" for m in meta["models"]) + ". "
         + f"Swap and cache phases under CPU profile {meta['profile']}. Raw: results.json, results.csv; progress and gateway logs in "
         f"`{meta.get('work')}` at the time.", ""]
    swap = [r for r in rows if r["phase"] == "swap"]
    if swap:
        c = meta.get("swap_counters", {})
        L += ["## 1. Swap time between two models that cannot both fit", "",
              "`Memory__BudgetBytes=67108864 Memory__ReserveBytes=0` (every model is larger than the budget, so one is loaded at a "
              "time) and `Models__SwapHoldSeconds=0`. Time to the first token of a streamed chat request "
              f"(max_tokens {meta['max_tokens']}, `cache_prompt: false`) for the model in the row: **loaded** (it is), "
              "**on demand** (nothing loaded: one load), **swap** (the other model is loaded and idle: it is unloaded, with its "
              "prompt cache saved since KeepPromptCache is on by default, and this one loaded). Median (min to max) of "
              f"{meta['reps']} repetitions per direction; a swap into each model happens in both directions' sequences "
              "(nothing loaded -> B on demand -> B loaded -> A, evicting B -> B, evicting A), so the swap column has twice as many.", "",
              "| model | from | loaded | on demand | swap | swap / on demand | swap - loaded |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for mid in dict.fromkeys(r["model"] for r in swap):
            pick = lambda k: [r["ttft_s"] for r in swap if r["model"] == mid and r["kind"] == k]
            src = next((r["from"] for r in swap if r["model"] == mid and r["kind"] == "swap"), "?")
            lo, od, sw = med(pick("loaded")), med(pick("on-demand")), med(pick("swap"))
            ratio = f"{sw / od:.2f}x" if sw and od else "–"
            extra = f"{sw - lo:.2f} s" if sw and lo else "–"
            L.append(f"| `{mid}` | `{src}` | {spread(pick('loaded'))} | {spread(pick('on-demand'))} | {spread(pick('swap'))} | {ratio} | {extra} |")
        L += ["", f"Counters over the phase: {c.get('swaps')} swaps, `llmgw_model_unloads_total{{reason=\"evicted\"}}` +{c.get('evicted_unloads'):.0f}, "
              f"`llmgw_model_loads_total` +{c.get('loads'):.0f}, admin unloads +{c.get('admin_unloads'):.0f}.", ""]
    cpu = [r for r in rows if r["phase"] == "cpu"]
    if cpu:
        L += ["## 2. CPU of two busy models against the budget", "",
              f"Both models loaded (default memory budget), each generating at once (one streamed request each, `ignore_eos`, "
              f"max_tokens {meta['gen_tokens']}, a new one when it ends) for {meta['window_s']:.0f} s after {meta['ramp_s']:.0f} s of ramp. "
              "`child_percent` of `/admin/cpu/samples`: llama-server CPU per sample in percent of the whole machine, both children "
              "together (they share the gateway's cgroup counter). Per model: `llmgw_model_cpu_seconds_total` delta over the "
              "window, percent of the machine.", "",
              "| profile | budget | samples | mean | p50 | p95 | p99 | max | samples > budget (> 1.1x) | per model | tokens generated |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in cpu:
            per = ", ".join(f"`{k}` {v:.1f}" for k, v in r["model_percent"].items())
            tok = ", ".join(f"`{k}` {v}" for k, v in r["model_tokens"].items())
            f1 = lambda k: "–" if r.get(k) is None else f"{r[k]:.1f}"
            L.append(f"| {r['kind']} | {r['budget_percent']} % | {r['samples']} ({r['interval_ms']} ms) | {f1('mean')} | {f1('p50')} | "
                     f"{f1('p95')} | {f1('p99')} | {f1('max')} | {r['over_budget']} ({r['over_budget_10']}) | {per} (sum "
                     f"{sum(r['model_percent'].values()):.1f}) | {tok} |")
        if meta.get("cpu_png"):
            L += ["", f"![child_percent per 100 ms sample]({meta['cpu_png']})", "",
                  f"`{meta['cpu_png']}`: one panel per row above, top to bottom ({', '.join(r['kind'] for r in cpu)}); x: the samples "
                  "(100 ms each, 2 px), y: 0 to 100 % of the machine, grey lines every 10 %, dashed: the budget."]
        L.append("")
    cache = [r for r in rows if r["phase"] == "cache"]
    if cache:
        keep = lambda k: [r for r in cache if r["kind"] == f"keep={k}"]
        t, f_ = keep("true"), keep("false")
        tok = med([r["prompt_tokens"] for r in cache])
        tok = "–" if tok is None else f"{tok:.0f}"
        L += ["## 3. First request after a reload, with and without the saved prompt cache", "",
              f"`{cache[0]['model']}`, a system prompt of {tok} prompt tokens in all (system + user, chat template) "
              f"({meta.get('system_prompt_chars')} characters), one slot. Per repetition: a request with it (cached), one more "
              "(**hot**: the model never unloaded), `POST /admin/models/{id}/unload`, `POST load` and `/v1/models` until ready "
              "(**load**, not in the ratio), then the same system prompt with another user message (**after reload**): "
              f"time to first token, `prompt_tokens_details.cached_tokens`. One gateway per setting; median (min to max) of {meta['reps']}.", "",
              "| Models__KeepPromptCache | hot TTFT | load (POST load to ready) | TTFT after reload | cached tokens after reload | load + TTFT |",
              "| --- | --- | --- | --- | --- | --- |"]
        for k, rs in (("true", t), ("false", f_)):
            cached = [r["cached_tokens"] for r in rs if r["cached_tokens"] is not None]
            L.append(f"| {k} | {spread([r['hot_ttft_s'] for r in rs])} | {spread([r['load_s'] for r in rs])} | "
                     f"{spread([r['ttft_s'] for r in rs])} | {statistics.median(cached) if cached else '–'} of {tok} | "
                     f"{spread([r['total_s'] for r in rs])} |")
        a1, b1 = med([r["ttft_s"] for r in t]), med([r["ttft_s"] for r in f_])
        a2, b2 = med([r["total_s"] for r in t]), med([r["total_s"] for r in f_])
        if a1 and b1:
            L += ["", f"Ratio with / without, TTFT after the reload (load excluded): **{a1 / b1:.2f}x** (goal <= 0.2x: "
                  f"{'met' if a1 / b1 <= 0.2 else 'not met'}); including the load: **{a2 / b2:.2f}x**."]
        L.append("")
    findings = meta.get("findings") or []
    L += ["## Checks", ""]
    if findings:
        L += [f"- **{x['what']}**: not so {x['count']} time(s); first: {x['detail']}" for x in findings]
    else:
        L.append("Every check held: each swap evicted the idle model and was counted as an eviction, every request was served, "
                 "and with KeepPromptCache the request after a reload found the system prompt cached.")
    L.append("")
    return "\n".join(L)


def write(out, meta, rows):
    results = {"meta": meta, "rows": rows}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out, "results.csv"), "w") as f:
        f.write("phase,kind,model,from,rep,status,ttft_s,load_s,total_s,cached_tokens,prompt_tokens,mean,p50,p95,p99,max,budget_percent\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else str(r.get(k)) for k in
                             ("phase", "kind", "model", "from", "rep", "status", "ttft_s", "load_s", "total_s", "cached_tokens",
                              "prompt_tokens", "mean", "p50", "p95", "p99", "max", "budget_percent")) + "\n")
        # The CPU curves: one line per sample.
        f.write("\nprofile,sample,child_percent\n")
        for r in rows:
            if r["phase"] == "cpu":
                f.writelines(f"{r['kind']},{i},{v}\n" for i, v in enumerate(r["curve"]))
    ml.write_page(out, markdown(results))


# --------------------------------------------------------------------------------------------------------------- run

def run(a):
    a.out = a.out or tempfile.mkdtemp(prefix="llmgw-model-swap-quick.")
    os.makedirs(a.out, exist_ok=True)
    a.work = a.work or tempfile.mkdtemp(prefix="llmgw-model-swap.")
    a.findings = ml.Findings()
    a.copies = False  # no cold loads here: the shared files are served
    models = ml.resolve_models(a)
    started_wall, started = datetime.datetime.now(datetime.timezone.utc), time.monotonic()
    meta = {"command": a.command, "date": started_wall.strftime("%Y-%m-%d %H:%M UTC"), "cores": CORES,
            "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
            "kernel": os.uname().release, "loadavg_before": ml.loadavg(), "reps": a.reps, "max_tokens": a.max_tokens,
            "gen_tokens": a.gen_tokens, "window_s": a.window, "ramp_s": a.ramp, "models": models, "phases": a.phases,
            "loadavg_phases": {}, "work": a.work, **ml.gateway_facts(a)}
    meta["profile"] = a.profile
    load_guess = {m["id"]: 1.5 + 6 * m["bytes"] / 1e9 for m in models}
    x, y = models[0]["id"], models[1]["id"] if len(models) > 1 else models[0]["id"]
    steps = []
    if "swap" in a.phases:
        steps += [("swap-warm", 8 + load_guess[x] + load_guess[y])]
        steps += [("swap", 4 * (load_guess[x] + load_guess[y]) / 2 + 3) for _ in range(a.reps) for _ in range(2)]
    if "cpu" in a.phases:
        steps += [("cpu", 8 + load_guess[x] + load_guess[y] + a.ramp + a.window + 3) for _ in a.cpu_profiles]
    if "cache" in a.phases:
        c = models[a.cache_model]["id"]
        steps += [("cache", 10 + 2 * load_guess[c]) for _ in range(2) for _ in range(a.reps + 1)]
    progress = ml.Progress(steps)
    log(f"{len(steps)} steps, about {ml.clock(progress.total())} by the first estimates; work files in {a.work}")
    rows = []
    try:
        for phase, fn in (("swap", swap_phase), ("cpu", cpu_phase), ("cache", cache_phase)):
            if phase in a.phases:
                before = ml.loadavg()
                fn(a, models, progress, rows, meta)
                meta["loadavg_phases"][phase] = [before, ml.loadavg()]
        curves = [{"values": r["curve"], "budget": r["budget_percent"]} for r in rows if r["phase"] == "cpu" and r["curve"]]
        if curves:
            plot(os.path.join(a.out, "cpu-samples.png"), curves)
            meta["cpu_png"] = "cpu-samples.png"
    finally:
        meta.update(loadavg_after=ml.loadavg(), minutes=round((time.monotonic() - started) / 60, 1), findings=a.findings.as_list())
        write(a.out, meta, rows)


def parser():
    p = argparse.ArgumentParser(prog="bench/model-swap.sh", description=__doc__.split("\n\n")[0].split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["tiny", "qwen2.5-0.5b"], metavar="PRESET|ID=GGUF",
                   help="two models: the swap pair and the CPU pair (default: %(default)s)")
    p.add_argument("--cache-model", type=int, default=1, help="index in --models of the cache phase's model (default: 1, the 0.5B)")
    p.add_argument("--phases", default="swap,cpu,cache", help="comma-separated, of swap, cpu, cache (default: %(default)s)")
    p.add_argument("--reps", type=int, help="repetitions per direction (swap) and per setting (cache) (default: 5; 1 with --quick)")
    p.add_argument("--window", type=float, help="seconds of CPU samples per profile (default: 30; 5 with --quick)")
    p.add_argument("--ramp", type=float, default=3, help="seconds both models generate before the window (default: %(default)s)")
    p.add_argument("--gen-tokens", type=int, default=1500, help="max_tokens of the CPU phase's requests (default: %(default)s)")
    p.add_argument("--max-tokens", type=int, default=8, help="of the swap and cache requests (default: %(default)s)")
    p.add_argument("--system-words", type=int, default=640, help="words of the cache phase's system prompt (default: %(default)s, about 1,000 tokens)")
    p.add_argument("--profile", default="Fast", help="Cpu__Profile of the swap and cache phases (default: %(default)s: nothing "
                   "capped, so the machine's other load is the only noise; the CPU phase sets its own)")
    p.add_argument("--hold-pause", type=float, default=0.3, help="seconds between a request and the swap after it (default: %(default)s)")
    p.add_argument("--poll-ms", type=float, default=25, help="how often /v1/models is asked while waiting (default: %(default)s)")
    p.add_argument("--ceiling", type=float, default=120, help="seconds a load may take (default: %(default)s)")
    p.add_argument("--out", help="results directory (default: docs/benchmarks/model-swap; a temporary one with --quick)")
    p.add_argument("--work", help="where gateway logs go (default: a temporary directory, kept)")
    p.add_argument("--quick", action="store_true", help="a short run to try the script: 1 repetition, 5 s windows, results in /tmp")
    p.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    for name in ("dll", "bin", "launcher", "root"):
        p.add_argument(f"--{name}", help=argparse.SUPPRESS)
    return p


def parse(argv):
    p = parser()
    a = p.parse_args(argv)
    a.phases = [x for x in a.phases.split(",") if x]
    bad = [x for x in a.phases if x not in ("swap", "cpu", "cache")]
    if bad or not a.phases:
        p.error(f"--phases: {','.join(bad) or 'none given'}; choose from swap, cpu, cache")
    for name, real, quick in (("reps", 5, 1), ("window", 30, 5)):
        if getattr(a, name) is None:
            setattr(a, name, quick if a.quick else real)
    if a.reps < 1 or a.window <= 0 or a.gen_tokens < 2 or a.max_tokens < 2:
        p.error("--reps must be at least 1, --window more than 0, --gen-tokens and --max-tokens at least 2")
    if len(a.models) < 2 and ("swap" in a.phases or "cpu" in a.phases):
        p.error("--models: the swap and cpu phases need two models")
    if not 0 <= a.cache_model < len(a.models):
        p.error("--cache-model: an index into --models")
    a.poll = a.poll_ms / 1000
    a.dry_run = False  # model_load.Gateway's stand-in switch: this benchmark always runs the real gateway
    a.profile_env = {"Cpu__Profile": a.profile}
    # The CPU phase: Custom 50 % capped, then the default profile (Invisible: 35 %, capped, yielding).
    a.cpu_profiles = [("Custom 50 % Cap", {"Cpu__Profile": "Custom", "Cpu__BudgetPercent": "50", "Cpu__Mode": "Cap"}, 50),
                      ("Invisible (default)", {"Cpu__Profile": "Invisible"}, 35)]
    a.root = a.root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not a.out and not a.quick:
        a.out = os.path.join(a.root, "docs", "benchmarks", "model-swap")
    env = "".join(f"{k}={v} " for k, v in sorted(os.environ.items()) if k.startswith(("Cpu__", "LlamaServer__", "Models__", "Memory__")))
    a.command = env + "bench/model-swap.sh" + "".join(f" {x}" for x in argv if not x.startswith(("--dll", "--bin", "--launcher", "--root", "--check")))
    if not a.check and not (a.dll and a.bin and a.launcher):
        p.error("run it through bench/model-swap.sh, which builds the gateway and passes --dll, --bin and --launcher")
    return a


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        print(markdown(json.load(open(sys.argv[2]))))
        return
    argv = sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "run" else sys.argv[1:]
    a = parse(argv)
    if not a.check:
        run(a)


if __name__ == "__main__":
    main()
