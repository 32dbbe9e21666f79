using System.Globalization;
using LlmGateway.Cli.Report;
using Spectre.Console;

namespace LlmGateway.Cli.Tune;

/// <summary>The terminal output of llmgw tune: the research's comparison table (one row per run), the front, the winner.</summary>
public static class TuneTable
{
    public static Table Candidates(TuneOutcome outcome)
    {
        var table = new Table().Title("candidates, in the order run (settings: budget, mode, threads/threads-batch, cap period, context, slots; batch/micro-batch, KV cache, prompt cache, backend when set)").Border(TableBorder.Rounded);
        foreach (var column in new[] { "#", "model", "settings", "run", "idle CPU %", "CPU mean %", "CPU p99 %", "CPU peak %", "RSS GiB", "p50 s", "p95 s", "p99 s", "p99/p50", "prefill t/s", "decode t/s", "targets" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        var i = 0;
        foreach (var r in outcome.Results)
        {
            var c = r.Candidate;
            var mark = r == outcome.Winner ? "[green bold]winner[/]" : r.MeetsTargets ? "[green]met[/]" : $"[red]{Markup.Escape(r.Reason ?? "missed")}[/]";
            table.AddRow(
                (++i).ToString(CultureInfo.InvariantCulture), Markup.Escape(Path.GetFileName(c.Model)), Markup.Escape(Short(c)), r.Status.ToString(),
                Num(r.IdleCpuPercent, "0.00"), Num(r.CpuMeanPercent, "0.0"), Num(r.CpuP99Percent, "0.0"), Num(r.CpuPeakPercent, "0.0"),
                Num(r.RssGiB, "0.00"), Num(r.P50Seconds, "0.000"), Num(r.P95Seconds, "0.000"), Num(r.P99Seconds, "0.000"),
                Num(r.P50Seconds is > 0 && r.P99Seconds is { } p99 ? p99 / r.P50Seconds.Value : null, "0.00"),
                Num(r.PrefillTokensPerSecond, "0"), Num(r.DecodeTokensPerSecond, "0.0"), mark);
        }

        return table;
    }

    public static Table Front(TuneOutcome outcome)
    {
        var table = new Table().Title("Pareto front: p95 latency against active CPU mean").Border(TableBorder.Rounded)
            .AddColumns("CPU mean %", "p95 s", "candidate", "meets targets");
        foreach (var r in outcome.ParetoFront)
        {
            table.AddRow(Num(r.CpuMeanPercent, "0.0"), Num(r.P95Seconds, "0.000"), Markup.Escape(r.Candidate.Key), r.MeetsTargets ? "yes" : "no");
        }

        return table;
    }

    public static void Summary(IAnsiConsole console, TuneOutcome outcome, Targets targets)
    {
        console.MarkupLineInterpolated($"planner's plan: {outcome.Plan.Key}");
        console.MarkupLineInterpolated($"{outcome.NewRuns} candidates run now, {outcome.Results.Count - outcome.NewRuns} from the results file, {outcome.Skipped.Count} skipped as dominated, of a grid of {outcome.GridSize}");
        foreach (var s in outcome.Skipped)
        {
            console.MarkupLineInterpolated($"  skipped {s.Candidate.Key}: {s.Reason} ({s.By.Key})");
        }

        if (outcome.Interrupted)
        {
            console.MarkupLine("[yellow]interrupted: what was measured is kept in the results file; run the same command to resume[/]");
        }

        if (outcome.Winner is { } w)
        {
            console.MarkupLineInterpolated($"[green bold]winner[/]: {w.Candidate.Key}: p95 {w.P95Seconds:0.000} s (target {targets.P95LatencySeconds} s), CPU mean {w.CpuMeanPercent:0.0} %");
        }
        else
        {
            console.MarkupLine("[red]no candidate met every target[/]");
        }
    }

    /// <summary>
    /// The settings in one cell: "35% CapAndYield t1/tb2 100ms ctx4096 x1" (budget, mode, threads/threads-batch, cap period,
    /// context, slots), then only what is set of batch/micro-batch ("b256/ub128"), KV cache type ("kv:q8_0"), prompt caching
    /// ("no-prompt-cache"), and the CPU backend.
    /// </summary>
    public static string Short(Candidate c) => string.Create(CultureInfo.InvariantCulture,
        $"{c.BudgetPercent}% {c.Mode} t{c.Threads}/tb{c.ThreadsBatch} {c.CapPeriodMicroseconds / 1000.0:0.#}ms ctx{c.ContextSize} x{c.Parallel}")
        + (c.BatchSize, c.MicroBatchSize) switch
        {
            (null, null) => "",
            ({ } b, null) => $" b{Int(b)}",
            (null, { } ub) => $" ub{Int(ub)}",
            ({ } b, { } ub) => $" b{Int(b)}/ub{Int(ub)}",
        }
        + (c.KvCacheType is { } kv ? $" kv:{kv}" : "")
        + c.CachePrompt switch { false => " no-prompt-cache", true => " prompt-cache", null => "" }
        + (c.Backend is { } backend ? $" {backend}" : "");

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
