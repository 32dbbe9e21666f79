namespace LlmGateway.Cli.Tune;

/// <summary>
/// The second PNG beside the results: each candidate's active CPU, mean and p99 of llama-server's 100 ms samples, as
/// bars beside the targets. The research's comparison as a picture: what the CPU did under each setting, runs stopped
/// early included (over their samples up to the stop), which the latency plot cannot show.
/// </summary>
public static class CpuPlot
{
    public static void Save(TuneOutcome outcome, Report.Targets targets, string path)
    {
        var rows = outcome.Results.Where(r => r.CpuMeanPercent is not null && r.CpuP99Percent is not null).ToList();
        var plot = new ScottPlot.Plot();
        // Horizontal bars, the first candidate at the top: labels stay readable however many there are.
        for (var i = 0; i < rows.Count; i++)
        {
            var y = rows.Count - 1 - i;
            var p99 = plot.Add.Bar(new ScottPlot.Bar { Position = y, Value = rows[i].CpuP99Percent!.Value, FillColor = ScottPlot.Colors.Orange, Size = 0.8 });
            p99.Horizontal = true;
            var mean = plot.Add.Bar(new ScottPlot.Bar { Position = y, Value = rows[i].CpuMeanPercent!.Value, FillColor = ScottPlot.Colors.SteelBlue, Size = 0.45 });
            mean.Horizontal = true;
        }

        plot.Add.VerticalLine(targets.ActiveCpuMeanPercent, pattern: ScottPlot.LinePattern.Dashed, color: ScottPlot.Colors.SteelBlue).LegendText = "CPU mean target";
        plot.Add.VerticalLine(targets.ActiveCpuP99Percent, pattern: ScottPlot.LinePattern.Dashed, color: ScottPlot.Colors.Orange).LegendText = "CPU p99 target";
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "mean", FillColor = ScottPlot.Colors.SteelBlue });
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "p99 (100 ms samples)", FillColor = ScottPlot.Colors.Orange });
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. rows.Select((r, i) => (double)(rows.Count - 1 - i))],
            [.. rows.Select(r => $"{TuneTable.Short(r.Candidate)}{(r.Status == CandidateStatus.Stopped ? " (stopped)" : "")}")]);
        plot.Axes.SetLimitsX(0, 105);
        plot.XLabel("llama-server's CPU while a request is in flight (% of the machine)");
        plot.Title("llmgw tune: active CPU per candidate");
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        plot.SavePng(path, 1100, Math.Max(320, 130 + (28 * rows.Count)));
    }
}
