using System.Globalization;

namespace LlmGateway.Cli.Report;

/// <summary>Turns measurements into the scorecard's lines, each against its target.</summary>
public static class Scorer
{
    private const double GiB = 1024.0 * 1024 * 1024;

    public static IReadOnlyList<ScoreLine> Score(Measurements m, Targets t)
    {
        var lines = new List<ScoreLine>();
        var ok = m.Results.Where(r => r.Ok).ToList();

        if (m.IdleSamples is { Count: > 0 } idle)
        {
            var idleCpu = IdleCpu(idle);
            lines.Add(AtMost("idle CPU (gateway + llama-server)", idleCpu, "%", t.IdleCpuPercent));
        }
        else
        {
            lines.Add(new ScoreLine("idle CPU (gateway + llama-server)", null, "%", Le(t.IdleCpuPercent), null, m.IdleSamples is null ? "skipped (--idle-seconds 0, or the gateway serves no samples)" : "no samples"));
        }

        if (m.ActiveSamples is { Count: > 0 } active)
        {
            // Active CPU is llama-server's while a request is in flight: the gaps between arrivals are idle time, and
            // would dilute the mean a user feels while the service works. All samples when none is marked busy.
            var busy = active.Where(s => s.Busy).ToList() is { Count: > 0 } b ? b : [.. active];
            var cpu = Distribution.Of(busy.Select(s => s.ChildPercent));
            lines.Add(AtMost("active CPU mean (llama-server, 100 ms)", cpu.Mean, "%", t.ActiveCpuMeanPercent));
            lines.Add(Info("active CPU p95", cpu.P95, "%"));
            lines.Add(AtMost("active CPU p99", cpu.P99, "%", t.ActiveCpuP99Percent));
            lines.Add(Info("active CPU peak", cpu.Max, "%"));
            lines.Add(AtMost("llama-server RSS peak", active.Max(s => s.ChildRssBytes) / GiB, "GiB", t.RamGigabytes));
            lines.Add(Info("gateway RSS peak", active.Max(s => s.GatewayRssBytes) / GiB, "GiB"));
        }
        else
        {
            lines.Add(new ScoreLine("active CPU mean (llama-server, 100 ms)", null, "%", Le(t.ActiveCpuMeanPercent), null, "the gateway served no samples of llama-server"));
        }

        var latency = Distribution.Of(ok.Select(r => r.LatencySeconds));
        lines.Add(Info("latency p50", ok.Count > 0 ? latency.P50 : null, "s"));
        lines.Add(AtMost("latency p95", ok.Count > 0 ? latency.P95 : null, "s", t.P95LatencySeconds));
        lines.Add(Info("latency p99", ok.Count > 0 ? latency.P99 : null, "s"));
        var ratio = ok.Count > 0 && latency.P50 > 0 ? latency.P99 / latency.P50 : (double?)null;
        lines.Add(new ScoreLine("latency p99/p50", ratio, "x", $"< {Number(t.TailRatio)}", ratio is { } r ? r < t.TailRatio : null));

        var ttft = Distribution.Of(ok.Where(r => r.TtftSeconds is not null).Select(r => r.TtftSeconds!.Value));
        lines.Add(Info("TTFT p50", ttft.Count > 0 ? ttft.P50 : null, "s"));
        lines.Add(Info("TTFT p95", ttft.Count > 0 ? ttft.P95 : null, "s"));

        var (prefill, decode, source) = Speeds(ok);
        lines.Add(Info("prefill", prefill, "tokens/s", source));
        lines.Add(Info("decode", decode, "tokens/s", source));

        var scored = ok.Where(r => r.Correct is not null).ToList();
        var correctness = scored.Count > 0 ? scored.Count(r => r.Correct == true) / (double)scored.Count : (double?)null;
        var note = m.SyntheticModel ? "not meaningful: the model has random weights" : scored.Count == 0 ? "no line has \"expected\"" : $"{scored.Count} scored answers";
        lines.Add(new ScoreLine("correctness", correctness, "ratio", $">= {Number(t.Correctness)}",
            m.SyntheticModel || correctness is null ? null : correctness >= t.Correctness, note));

        if (m.ForegroundAloneSeconds is { } alone && m.ForegroundBesideSeconds is { } beside)
        {
            var slowdown = beside.Count > 0 ? Distribution.Of(beside).P50 / alone : (double?)null;
            lines.Add(t.ForegroundSlowdown is { } max
                ? AtMost("foreground job slowdown", slowdown, "x", max)
                : Info("foreground job slowdown", slowdown, "x", string.Create(CultureInfo.InvariantCulture, $"median of {beside.Count} runs beside / {alone:0.000} s alone")));
        }

        return lines;
    }

    /// <summary>The mean CPU of llama-server and the gateway together over the quiet period: idle cost is an average by nature (a 100 ms blip of a health probe is no cost).</summary>
    public static double IdleCpu(IReadOnlyList<CpuSample> quiet) => quiet.Average(s => s.ChildPercent + s.GatewayPercent);

    /// <summary>
    /// Prefill and decode speed from llama-server's timings summed over all answers (tokens over milliseconds, so long
    /// answers weigh more, as they do for the machine); without timings, from usage and the client's clock.
    /// </summary>
    public static (double? Prefill, double? Decode, string Source) Speeds(IReadOnlyList<RequestResult> ok)
    {
        var timed = ok.Where(r => r.Timings is not null).Select(r => r.Timings!).ToList();
        if (timed.Count > 0 && timed.Count == ok.Count)
        {
            var promptMs = timed.Sum(x => x.PromptMs);
            var predictedMs = timed.Sum(x => x.PredictedMs);
            return (promptMs > 0 ? timed.Sum(x => x.PromptTokens) / promptMs * 1000 : null,
                predictedMs > 0 ? timed.Sum(x => x.PredictedTokens) / predictedMs * 1000 : null,
                "llama-server timings");
        }

        var withUsage = ok.Where(r => r.TtftSeconds is not null && r.PromptTokens is not null && r.CompletionTokens is not null).ToList();
        var ttft = withUsage.Sum(r => r.TtftSeconds!.Value);
        // The first token is counted in the prefill time, as the client cannot see where prefill ends.
        var rest = withUsage.Sum(r => r.LatencySeconds - r.TtftSeconds!.Value);
        return (ttft > 0 ? withUsage.Sum(r => r.PromptTokens!.Value) / ttft : null,
            rest > 0 ? withUsage.Sum(r => Math.Max(0, r.CompletionTokens!.Value - 1)) / rest : null,
            "usage and the client's clock");
    }

    private static ScoreLine AtMost(string metric, double? value, string unit, double target) =>
        new(metric, value, unit, Le(target), value is { } v ? v <= target : null);

    private static ScoreLine Info(string metric, double? value, string unit, string? note = null) => new(metric, value, unit, null, null, note);

    private static string Le(double target) => $"<= {Number(target)}";

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
