using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmGateway.Cli.Report;

/// <summary>llmgw report --live: the running gateway's own scorecard (GET /admin/scorecard), redrawn until Ctrl-C, or once.</summary>
public static class LiveView
{
    /// <summary>Shows the scorecard; returns 0 when the last one met every target it could judge, 3 when it missed one.</summary>
    public static async Task<int> RunAsync(
        HttpClient http, ReportSettings settings, IAnsiConsole console, TextWriter output, CancellationToken cancellationToken)
    {
        var (card, json) = await LiveCard.FetchAsync(http, settings.WindowSeconds, cancellationToken);
        if (settings.Once)
        {
            if (settings.Out is { } path)
            {
                await File.WriteAllTextAsync(path, settings.Format == OutputFormat.Json ? json : Text(card, settings.Format), cancellationToken);
                return card.MeetsTargets == false ? 3 : 0;
            }

            switch (settings.Format)
            {
                case OutputFormat.Json:
                    await output.WriteLineAsync(json);
                    break;
                case OutputFormat.Table:
                    console.Write(Table(card, http.BaseAddress));
                    break;
                default:
                    await output.WriteAsync(Text(card, settings.Format));
                    break;
            }

            return card.MeetsTargets == false ? 3 : 0;
        }

        await console.Live(Table(card, http.BaseAddress)).StartAsync(async live =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(TimeSpan.FromSeconds(settings.RefreshSeconds), cancellationToken);
                    (card, _) = await LiveCard.FetchAsync(http, settings.WindowSeconds, cancellationToken);
                    live.UpdateTarget(Table(card, http.BaseAddress));
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: the last scorecard stays on the screen.
            }
        });
        return card.MeetsTargets == false ? 3 : 0;
    }

    public static IRenderable Table(LiveCard card, Uri? url)
    {
        var verdict = card.MeetsTargets switch
        {
            true => "[green]meets every target it can judge[/]",
            false => "[red]misses a target[/]",
            null => "[grey]nothing to judge yet[/]",
        };
        var table = new Table().RoundedBorder()
            .Title(Markup.Escape($"{url} over the last {card.WindowSeconds:0} s: {card.Requests} requests, {card.ActiveSamples} busy and {card.IdleSamples} idle CPU samples"))
            .Caption(verdict + Markup.Escape($" · refreshed {DateTime.Now:HH:mm:ss}"));
        table.AddColumns("figure", "value", "target", "");
        foreach (var line in card.Lines)
        {
            table.AddRow(
                Markup.Escape(line.Figure),
                line.Value is { } v ? Markup.Escape(ScorecardWriter.Format(v, line.Unit)) : $"[grey]{Markup.Escape(line.Note ?? "-")}[/]",
                line.Target is { } t ? Markup.Escape($"{line.Comparison} {Number(t)}") : "",
                line.Met switch { true => "[green]met[/]", false => "[red]missed[/]", null => "" });
        }

        return table;
    }

    /// <summary>The scorecard as Markdown, or CSV; a table (the terminal's) is written as Markdown to a file.</summary>
    private static string Text(LiveCard card, OutputFormat format)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        if (format == OutputFormat.Csv)
        {
            w.WriteLine("figure,value,unit,comparison,target,met");
            foreach (var l in card.Lines)
            {
                w.WriteLine($"{l.Figure},{l.Value?.ToString("R", CultureInfo.InvariantCulture)},{l.Unit},{l.Comparison},{l.Target?.ToString("R", CultureInfo.InvariantCulture)},{l.Met?.ToString().ToLowerInvariant()}");
            }

            return w.ToString();
        }

        w.WriteLine($"Scorecard over the last {card.WindowSeconds:0} s: {card.Requests} requests; {(card.MeetsTargets switch { true => "meets every target", false => "misses a target", null => "nothing to judge yet" })}.");
        w.WriteLine();
        w.WriteLine("| figure | value | target | verdict |");
        w.WriteLine("| --- | ---: | --- | --- |");
        foreach (var l in card.Lines)
        {
            w.WriteLine($"| {l.Figure} | {(l.Value is { } v ? ScorecardWriter.Format(v, l.Unit) : l.Note ?? "-")} | {(l.Target is { } t ? $"{l.Comparison} {Number(t)}" : "")} | {l.Met switch { true => "met", false => "missed", null => "" }} |");
        }

        return w.ToString();
    }

    /// <summary>A target as it was set: 35, 2.5, 0.000001.</summary>
    private static string Number(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
