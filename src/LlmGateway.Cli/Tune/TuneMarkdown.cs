using System.Globalization;
using System.Text;
using LlmGateway.Cli.Report;

namespace LlmGateway.Cli.Tune;

/// <summary>The same tables as Markdown, written beside the results (FILE.md) for docs such as docs/tuning.md.</summary>
public static class TuneMarkdown
{
    public static string Write(TuneOutcome outcome, Targets targets, string pngName, string? cpuPngName = null)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Targets: p95 <= {targets.P95LatencySeconds} s, p99/p50 < {targets.TailRatio}, active CPU mean <= {targets.ActiveCpuMeanPercent} %, p99 <= {targets.ActiveCpuP99Percent} %, idle <= {targets.IdleCpuPercent} %, RSS <= {targets.RamGigabytes} GiB.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Planner's plan: `{outcome.Plan.Key}`. {outcome.NewRuns} candidates run, {outcome.Results.Count - outcome.NewRuns} resumed, {outcome.Skipped.Count} skipped as dominated, of a grid of {outcome.GridSize}.");
        md.AppendLine();
        md.AppendLine("| # | model | settings | run | idle CPU % | CPU mean % | CPU p99 % | CPU peak % | RSS GiB | p50 s | p95 s | p99 s | p99/p50 | prefill t/s | decode t/s | targets |");
        md.AppendLine("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        var i = 0;
        foreach (var r in outcome.Results)
        {
            var verdict = r == outcome.Winner ? "**winner**" : r.MeetsTargets ? "met" : (r.Reason ?? "missed").Replace("|", "/", StringComparison.Ordinal);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {++i} | {Path.GetFileName(r.Candidate.Model)} | {TuneTable.Short(r.Candidate)} | {r.Status} | {N(r.IdleCpuPercent, "0.00")} | {N(r.CpuMeanPercent, "0.0")} | {N(r.CpuP99Percent, "0.0")} | {N(r.CpuPeakPercent, "0.0")} | {N(r.RssGiB, "0.00")} | {N(r.P50Seconds, "0.000")} | {N(r.P95Seconds, "0.000")} | {N(r.P99Seconds, "0.000")} | {N(r.P50Seconds is > 0 && r.P99Seconds is { } p99 ? p99 / r.P50Seconds.Value : null, "0.00")} | {N(r.PrefillTokensPerSecond, "0")} | {N(r.DecodeTokensPerSecond, "0.0")} | {verdict} |");
        }

        md.AppendLine();
        foreach (var s in outcome.Skipped)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- skipped `{s.Candidate.Key}`: {s.Reason} (`{s.By.Key}`)");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Pareto front (p95 against active CPU mean): {string.Join(", ", outcome.ParetoFront.Select(r => $"{TuneTable.Short(r.Candidate)} ({N(r.CpuMeanPercent, "0.0")} %, {N(r.P95Seconds, "0.000")} s)"))}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![p95 latency against CPU]({pngName})");
        if (cpuPngName is not null)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![active CPU per candidate]({cpuPngName})");
        }
        md.AppendLine();
        md.AppendLine(outcome.Winner is { } w
            ? string.Create(CultureInfo.InvariantCulture, $"Winner: `{w.Candidate.Key}`, p95 {N(w.P95Seconds, "0.000")} s, CPU mean {N(w.CpuMeanPercent, "0.0")} %.")
            : "No candidate met every target.");
        return md.ToString();
    }

    private static string N(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
