#!/usr/bin/env bash
# Benchmark: what telemetry costs. (1) Recording one request's metrics, with the OpenTelemetry SDK, the
# gateway's views and its Prometheus exporter attached (bench/MetricsCost). (2) How long GET /metrics takes
# on a gateway that has served requests, sequential scrapes on one keep-alive connection, each after the
# exporter's 300 ms response cache has expired, so every scrape collects afresh, as Prometheus' do.
#   bench/metrics-cost.sh [scrapes]    results: docs/benchmarks/metrics-cost.md
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/native/common.sh"
scrapes=${1:-200}

bin=$("$root/native/build-llama.sh")
launcher=$("$root/native/build-launcher.sh")
model=$("$root/scripts/synthetic-model.sh" tiny)
dotnet build "$root/bench/MetricsCost" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
recording=$(dotnet "$root/bench/MetricsCost/bin/Release/net10.0/MetricsCost.dll" "$model" 1000000)
log "$recording"

port=18491 gateway_pid=""
trap '[[ -n "$gateway_pid" ]] && kill "$gateway_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
Model__Path=$model LlamaServer__ExecutablePath=$bin/llama-server LlamaServer__LauncherPath=$launcher Cpu__Profile=Fast \
  Logging__LogLevel__Default=Warning ASPNETCORE_URLS=http://127.0.0.1:$port \
  dotnet "$root/src/LlmGateway/bin/Release/net10.0/LlmGateway.dll" >/dev/null 2>&1 &
gateway_pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
scrape=$(python3 - "$port" "$scrapes" <<'PY'
import http.client, json, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for stream in (False, True) * 10:  # every series present: both stream labels, tokens, timings
    c.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": stream}),
              {"Content-Type": "application/json"})
    c.getresponse().read()
times, size = [], 0
c.request("GET", "/metrics"); c.getresponse().read()  # first scrape: JIT
for _ in range(n):
    time.sleep(0.35)  # past the exporter's 300 ms response cache
    t = time.perf_counter()
    c.request("GET", "/metrics")
    body = c.getresponse().read()
    times.append((time.perf_counter() - t) * 1000)
    size = len(body)
times.sort()
p = lambda q: times[min(len(times) - 1, int(q / 100 * len(times)))]
print(f"| {n} | {size} | {p(50):.2f} | {p(99):.2f} | {times[-1]:.2f} |")
PY
)
out="$root/docs/benchmarks/metrics-cost.md"
{
  echo "# Telemetry cost"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`bench/metrics-cost.sh $scrapes\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo
  echo "Recording (target: under 5 us per request): $recording."
  echo
  echo "Scrapes of \`/metrics\` (target: under 10 ms), after 20 requests, sequential on one connection, each 0.35 s after"
  echo "the last so that none is served from the exporter's 300 ms response cache (the first, JIT-bound scrape not counted):"
  echo
  echo "| scrapes | bytes | p50 ms | p99 ms | max ms |"
  echo "| --- | --- | --- | --- | --- |"
  echo "$scrape"
} >"$out"
cat "$out"
