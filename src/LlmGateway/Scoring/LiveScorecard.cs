using LlmGateway.Cpu;
using Microsoft.Extensions.Options;

namespace LlmGateway.Scoring;

/// <summary>The scorecard llmgw report prints, over the running service's recent window: is it still invisible?</summary>
/// <remarks>
/// CPU comes from the sampler's log, split by whether a request was in flight: idle cost is the mean of the gateway and
/// llama-server together while none was and llama-server was ready (loading a model is not idle cost); active CPU is
/// llama-server's 100 ms samples while one was. Latency is the
/// duration of the successful /v1 requests that ended in the window. Failed requests are not in it (the request counters
/// in Prometheus count them).
/// </remarks>
public sealed class LiveScorecard(CpuSampler sampler, IRequestLatencies latencies, IOptions<TargetsOptions> options)
{
    private const double GiB = 1024.0 * 1024 * 1024;

    /// <summary>The longest window the sampler's log holds.</summary>
    public TimeSpan LongestWindow => sampler.Interval * sampler.Log.Capacity;

    public ScorecardReport Current(TimeSpan window)
    {
        var t = options.Value;
        window = window > LongestWindow ? LongestWindow : window;
        var samples = sampler.Log.Newest((int)Math.Max(1, window / sampler.Interval));
        var active = samples.Where(s => s.Busy && s.ChildPercent is not null).ToList();
        var idle = samples.Where(s => !s.Busy && !s.Starting && s.ChildPercent is not null).ToList();
        var cpu = active.Count > 0 ? WindowStatistics.Of([.. active.Select(s => s.ChildPercent!.Value)]) : null;
        var latency = latencies.Durations.Statistics(window);
        var ttft = latencies.FirstTokens.Statistics(window);
        const string NoRequest = "no request ended in the window";

        List<ScorecardLine> lines =
        [
            AtMost("idle_cpu_percent", idle.Count > 0 ? idle.Average(s => s.ChildPercent!.Value + s.GatewayPercent) : null, "%", t.IdleCpuPercent, "no idle sample in the window"),
            AtMost("active_cpu_mean_percent", cpu?.Mean, "%", t.ActiveCpuMeanPercent, "no request in flight in the window"),
            Info("active_cpu_p95_percent", cpu?.P95, "%"),
            AtMost("active_cpu_p99_percent", cpu?.P99, "%", t.ActiveCpuP99Percent, "no request in flight in the window"),
            Info("active_cpu_peak_percent", cpu?.Max, "%"),
            AtMost("llama_server_rss_peak_gib", samples.Count > 0 ? samples.Max(s => s.ChildRssBytes) / GiB : null, "GiB", t.RamGigabytes, "no sample yet"),
            Info("gateway_rss_peak_gib", samples.Count > 0 ? samples.Max(s => s.GatewayRssBytes) / GiB : null, "GiB"),
            Info("latency_p50_seconds", latency?.P50, "s"),
            AtMost("latency_p95_seconds", latency?.P95, "s", t.P95LatencySeconds, NoRequest),
            Info("latency_p99_seconds", latency?.P99, "s"),
            Below("latency_p99_p50_ratio", latency is { P50: > 0 } l ? l.P99 / l.P50 : null, "x", t.TailRatio, NoRequest),
            Info("ttft_p95_seconds", ttft?.P95, "s"),
        ];

        var judged = lines.Where(l => l.Met is not null).ToList();
        return new ScorecardReport(
            window.TotalSeconds, judged.Count == 0 ? null : judged.All(l => l.Met == true), latency?.Samples ?? 0, active.Count, idle.Count, lines);
    }

    private static ScorecardLine AtMost(string figure, double? value, string unit, double target, string missing) =>
        new(figure, value, unit, target, "<=", value is { } v ? v <= target : null, value is null ? missing : null);

    private static ScorecardLine Below(string figure, double? value, string unit, double target, string missing) =>
        new(figure, value, unit, target, "<", value is { } v ? v < target : null, value is null ? missing : null);

    private static ScorecardLine Info(string figure, double? value, string unit) => new(figure, value, unit, null, null, null);
}
