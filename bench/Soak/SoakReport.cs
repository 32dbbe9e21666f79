using System.Globalization;
using System.Text;

namespace Soak;

/// <summary>The verdicts (warm-up vs end, the child's plateau, unexplained errors), the table, the CSV and the plots.</summary>
public sealed class SoakReport(SoakSettings settings, IReadOnlyList<Sample> samples, Tally tally, FaultLog faults, int? cacheRamMiB, long? memoryLimitBytes)
{
    private const double Tolerance = 0.10;

    private TimeSpan End => samples[^1].Elapsed;

    /// <summary>About a minute of samples (less in a short run), so one GC or one burst does not decide.</summary>
    private TimeSpan Span => TimeSpan.FromMinutes(Math.Min(1, Math.Max(End.TotalMinutes - settings.WarmupMinutes, 0.1) / 3));

    private IEnumerable<Sample> WarmWindow => Window(TimeSpan.FromMinutes(settings.WarmupMinutes), TimeSpan.FromMinutes(settings.WarmupMinutes) + Span);

    private IEnumerable<Sample> EndWindow => Window(End - Span, End);

    public bool Passed => Rows().All(r => r.Ok);

    public string Markdown()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"| measure | after warm-up ({settings.WarmupMinutes:0.#} min) | end ({End.TotalMinutes:0.#} min) | change | target | verdict |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in Rows())
        {
            text.AppendLine(c, $"| {r.Name} | {r.Warm} | {r.End} | {r.Change} | {r.Target} | {(r.Target.StartsWith("n/a", StringComparison.Ordinal) ? "-" : r.Ok ? "ok" : "FAILED")} |");
        }

        text.AppendLine();
        text.AppendLine("| outcome | requests |");
        text.AppendLine("| --- | --- |");
        foreach (var o in Tally.Order)
        {
            text.AppendLine(c, $"| {o} | {tally[o]} |");
        }

        text.AppendLine(c, $"| total | {tally.Total} |");
        var windows = faults.Windows;
        text.AppendLine();
        var backs = string.Join(", ", windows.Where(w => w.To is not null).Select(w => ((w.To!.Value - w.From).TotalSeconds - 2).ToString("0.0 s", c)));
        text.AppendLine(c, $"llama-server killed {windows.Count} times (SIGKILL); back and ready after {(backs.Length == 0 ? "-" : backs)}.");
        if (tally.FaultKinds.Count > 0)
        {
            text.AppendLine(c, $"Failures inside the kill windows, as the client saw them: {string.Join("; ", tally.FaultKinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} ({k.Value})"))}.");
        }

        foreach (var e in tally.Errors)
        {
            text.AppendLine(c, $"- unexplained: {e}");
        }

        return text.ToString();
    }

    public string Csv()
    {
        var text = new StringBuilder("seconds,gateway_rss_bytes,gateway_threads,gateway_fds,child_pid,child_rss_bytes,child_cgroup_bytes,requests\n");
        foreach (var s in samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{s.Elapsed.TotalSeconds:F1},{s.GatewayRssBytes},{s.GatewayThreads},{s.GatewayFds},{s.ChildPid},{s.ChildRssBytes},{s.ChildCgroupBytes},{s.Requests}");
        }

        return text.ToString();
    }

    public void Plot(string memoryPng, string handlesPng)
    {
        double[] minutes = [.. samples.Select(s => s.Elapsed.TotalMinutes)];
        var kills = faults.Windows.Select(w => (w.From - (DateTimeOffset.UtcNow - End)).TotalMinutes).ToArray();

        var memory = new ScottPlot.Plot();
        memory.Add.ScatterLine(minutes, [.. samples.Select(s => s.ChildRssBytes / 1048576.0)]).LegendText = "llama-server RSS";
        memory.Add.ScatterLine(minutes, [.. samples.Select(s => s.GatewayRssBytes / 1048576.0)]).LegendText = "gateway RSS";
        memory.Add.ScatterLine(minutes, [.. samples.Select(s => (s.GatewayRssBytes + s.ChildRssBytes) / 1048576.0)]).LegendText = "both";
        if (settings.BudgetBytes > 0)
        {
            memory.Add.HorizontalLine(settings.BudgetBytes / 1048576.0, pattern: ScottPlot.LinePattern.Dashed).LegendText = "Memory:BudgetBytes";
        }

        if (cacheRamMiB is { } mib && samples.FirstOrDefault(s => s.ChildRssBytes > 0) is { } first)
        {
            // The prompt cache is what grows; the rest of llama-server (model pages, KV cache, buffers) is there from the start.
            var ceiling = first.ChildRssBytes / 1048576.0 + mib;
            memory.Add.HorizontalLine(ceiling, pattern: ScottPlot.LinePattern.Dotted).LegendText = $"llama-server's first RSS + --cache-ram {mib} MiB";
        }

        if (memoryLimitBytes is { } limit)
        {
            memory.Add.HorizontalLine(limit / 1048576.0, pattern: ScottPlot.LinePattern.DenselyDashed).LegendText = "cgroup memory.limit_in_bytes";
        }

        foreach (var k in kills)
        {
            memory.Add.VerticalLine(k, pattern: ScottPlot.LinePattern.Dotted).LegendText = "";
        }

        memory.Title($"Soak: resident memory, {tally.Total} requests in {End.TotalMinutes:0} min (dotted verticals: kill -9 of llama-server)");
        memory.XLabel("minutes");
        memory.YLabel("MiB");
        memory.Axes.SetLimitsY(0, Math.Max(settings.BudgetBytes, samples.Max(s => s.GatewayRssBytes + s.ChildRssBytes)) / 1048576.0 * 1.4);
        memory.ShowLegend(ScottPlot.Alignment.UpperLeft);
        memory.SavePng(memoryPng, 1200, 700);

        var handles = new ScottPlot.Plot();
        handles.Add.ScatterLine(minutes, [.. samples.Select(s => (double)s.GatewayThreads)]).LegendText = "gateway threads";
        handles.Add.ScatterLine(minutes, [.. samples.Select(s => (double)s.GatewayFds)]).LegendText = "gateway open files";
        foreach (var k in kills)
        {
            handles.Add.VerticalLine(k, pattern: ScottPlot.LinePattern.Dotted);
        }

        handles.Title("Soak: the gateway's threads and open file descriptors");
        handles.XLabel("minutes");
        handles.Axes.SetLimitsY(0, samples.Max(s => Math.Max(s.GatewayThreads, s.GatewayFds)) * 1.4);
        handles.ShowLegend(ScottPlot.Alignment.UpperLeft);
        handles.SavePng(handlesPng, 1200, 500);
    }

    private IEnumerable<Sample> Window(TimeSpan from, TimeSpan to)
    {
        var inside = samples.Where(s => s.Elapsed >= from && s.Elapsed <= to).ToList();
        return inside.Count > 0 ? inside : [samples.MinBy(s => (s.Elapsed - from).Duration())!];
    }

    private List<Row> Rows()
    {
        var c = CultureInfo.InvariantCulture;
        List<Row> rows =
        [
            Steady("gateway RSS (MiB)", s => s.GatewayRssBytes / 1048576.0),
            Steady("gateway threads", s => s.GatewayThreads),
            Steady("gateway open files", s => s.GatewayFds),
        ];

        // The child restarts at each kill; its plateau is judged in its last life, which is long enough to fill the cache.
        var life = samples.Where(s => s.ChildPid == samples[^1].ChildPid && s.ChildRssBytes > 0).ToList();
        var half = life.Count / 2;
        var firstHalf = life.Take(Math.Max(1, half)).Max(s => s.ChildRssBytes) / 1048576.0;
        var secondHalf = life.Skip(half).Max(s => s.ChildRssBytes) / 1048576.0;
        // A plateau can only be judged once the prompt cache has filled: not in a smoke run's half minute.
        var filled = cacheRamMiB is not { } bound || secondHalf >= life.Min(s => s.ChildRssBytes) / 1048576.0 + bound * 0.8;
        rows.Add(new Row("llama-server RSS, its last life (MiB; max of 1st half, 2nd half)",
            firstHalf.ToString("F0", c), secondHalf.ToString("F0", c), Change(firstHalf, secondHalf),
            filled ? $"2nd half within {Tolerance:P0} of 1st (plateau)" : "n/a: the prompt cache did not fill in this life (too short a run)",
            !filled || secondHalf <= firstHalf * (1 + Tolerance)));

        var peak = samples.Max(s => s.GatewayRssBytes + s.ChildRssBytes) / 1048576.0;
        var budget = settings.BudgetBytes / 1048576.0;
        rows.Add(new Row("gateway + llama-server RSS, peak (MiB)", "", peak.ToString("F0", c), "",
            settings.BudgetBytes > 0 ? $"at most Memory:BudgetBytes ({budget:F0})" : "(no budget given)", settings.BudgetBytes <= 0 || peak <= budget));
        rows.Add(new Row("errors not explained by an injected fault", "", tally["error"].ToString(c), "", "0", tally["error"] == 0));
        return rows;
    }

    private Row Steady(string name, Func<Sample, double> measure)
    {
        var warm = WarmWindow.Average(measure);
        var end = EndWindow.Average(measure);
        var c = CultureInfo.InvariantCulture;
        return new Row(name, warm.ToString("F0", c), end.ToString("F0", c), Change(warm, end), $"within {Tolerance:P0}",
            Math.Abs(end - warm) <= warm * Tolerance);
    }

    private static string Change(double from, double to) =>
        from == 0 ? "" : ((to - from) / from).ToString("+0.0 %;-0.0 %", CultureInfo.InvariantCulture);

    private sealed record Row(string Name, string Warm, string End, string Change, string Target, bool Ok);
}
