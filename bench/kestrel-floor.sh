#!/usr/bin/env bash
# Benchmark: the floor under any ASP.NET Core proxy on this machine. The least Kestrel can answer (a constant
# from bench/BareProxy's GET /ping, with the gateway's runtime settings) against nginx's `return 200`, on a
# new connection per request (as streams get) and on a kept-alive one, interleaved rounds, paired.
#   bench/kestrel-floor.sh [requests-per-cell]   results: docs/benchmarks/kestrel-floor.md
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
requests=${1:-4000}

require_tools nginx:nginx-light
dotnet build "$root/bench/BareProxy" -c Release --nologo -v quiet -clp:ErrorsOnly >&2

work=$(mktemp -d)
bare_pid=""
cleanup() {
  [[ -n "$bare_pid" ]] && kill "$bare_pid" 2>/dev/null && wait "$bare_pid" 2>/dev/null
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

kestrel_port=18492 nginx_port=18493
# No llama-server: /ping never goes upstream.
dotnet "$root/bench/BareProxy/bin/Release/net10.0/BareProxy.dll" "$work/none.sock" none "http://127.0.0.1:$kestrel_port" >"$work/bare.log" 2>&1 &
bare_pid=$!
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$nginx_port; location = /ping { return 200 "ok"; } } }
NGINX
nginx -c "$work/nginx.conf"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$kestrel_port/ping" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$kestrel_port/ping" >/dev/null || die "BareProxy did not start: $(cat "$work/bare.log")"

table=$(python3 - "$requests" "$kestrel_port" "$nginx_port" <<'PY'
import http.client, sys, time
requests, kestrel, nginx = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def p(values, q):
    s = sorted(values); k = (len(s) - 1) * q / 100; lo = int(k); hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
def run(port, n, fresh):
    out, c = [], None
    for _ in range(n):
        start = time.perf_counter()
        if fresh or c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/ping"); c.getresponse().read()
        out.append((time.perf_counter() - start) * 1000)
        if fresh:
            c.close()
    return out
rounds = 20
print("| connection | server | n | p50 ms | p99 ms | Kestrel - nginx, paired rounds: median [middle half] ms |")
print("| --- | --- | --- | --- | --- | --- |")
for fresh in (True, False):
    run(kestrel, 500, fresh); run(nginx, 500, fresh)  # warm-up: JIT, caches
    k_all, n_all, diffs = [], [], []
    for _ in range(rounds):
        k = run(kestrel, requests // rounds, fresh); n = run(nginx, requests // rounds, fresh)
        k_all += k; n_all += n; diffs.append(p(k, 50) - p(n, 50))
    label = "new per request" if fresh else "kept alive"
    print(f"| {label} | nginx | {len(n_all)} | {p(n_all, 50):.3f} | {p(n_all, 99):.3f} | |")
    print(f"| {label} | Kestrel | {len(k_all)} | {p(k_all, 50):.3f} | {p(k_all, 99):.3f} "
          f"| {p(diffs, 50):+.3f} [{p(diffs, 25):+.3f}, {p(diffs, 75):+.3f}] |")
PY
)
out="$root/docs/benchmarks/kestrel-floor.md"
{
  echo "# Kestrel's floor: a constant answer, Kestrel against nginx"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/kestrel-floor.sh $requests\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo "\`GET /ping\` answered with a constant by bench/BareProxy (Kestrel, the gateway's runtime settings) and by nginx"
  echo "(\`return 200\`, one worker), one sequential client, 20 interleaved rounds after 500 unmeasured requests each."
  echo "No proxying at all: whatever Kestrel needs here more than nginx, every ASP.NET Core proxy adds to every request."
  echo
  echo "$table"
} >"$out"
cat "$out"
