namespace LlmGateway.Cli.Tune;

/// <summary>The PNG beside the results: every measured candidate's p95 latency against its active CPU mean, the front joined, the targets dashed.</summary>
public static class ParetoPlot
{
    public static void Save(TuneOutcome outcome, Report.Targets targets, string path)
    {
        var plot = new ScottPlot.Plot();
        var measured = outcome.Results.Where(r => r.P95Seconds is not null && r.CpuMeanPercent is not null).ToList();
        if (measured.Count > 0)
        {
            var all = plot.Add.ScatterPoints(measured.Select(r => r.CpuMeanPercent!.Value).ToArray(), measured.Select(r => r.P95Seconds!.Value).ToArray());
            all.LegendText = "candidates";
        }

        if (outcome.ParetoFront.Count > 0)
        {
            var front = plot.Add.Scatter(outcome.ParetoFront.Select(r => r.CpuMeanPercent!.Value).ToArray(), outcome.ParetoFront.Select(r => r.P95Seconds!.Value).ToArray());
            front.LegendText = "Pareto front";
        }

        if (outcome.Winner is { P95Seconds: { } p95, CpuMeanPercent: { } cpu })
        {
            var winner = plot.Add.ScatterPoints(new[] { cpu }, new[] { p95 });
            winner.MarkerSize = 14;
            winner.LegendText = "winner";
        }

        plot.Add.HorizontalLine(targets.P95LatencySeconds, pattern: ScottPlot.LinePattern.Dashed).LegendText = "p95 target";
        plot.Add.VerticalLine(targets.ActiveCpuMeanPercent, pattern: ScottPlot.LinePattern.Dashed).LegendText = "CPU mean target";
        plot.XLabel("active CPU mean of llama-server (% of the machine)");
        plot.YLabel("p95 latency (s)");
        plot.Title("llmgw tune: p95 latency against CPU");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1000, 650);
    }
}
