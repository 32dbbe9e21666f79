using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace LlmGateway.Cli.Report;

/// <summary>Writes a scorecard as a terminal table, Markdown, JSON (everything, each request included) or CSV (the figures).</summary>
public static class ScorecardWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(Scorecard card, OutputFormat format, TextWriter writer, IAnsiConsole? terminal = null)
    {
        switch (format)
        {
            case OutputFormat.Json:
                writer.WriteLine(JsonSerializer.Serialize(card, Json));
                break;
            case OutputFormat.Csv:
                writer.Write(Csv(card));
                break;
            case OutputFormat.Markdown:
                writer.Write(Markdown(card));
                break;
            default:
                var console = terminal ?? AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Ansi = AnsiSupport.No,
                    ColorSystem = ColorSystemSupport.NoColors,
                    Out = new AnsiConsoleOutput(writer),
                    Interactive = InteractionSupport.No,
                });
                console.Write(Table(card));
                break;
        }
    }

    public static Table Table(Scorecard card)
    {
        var table = new Table().Title(Markup.Escape(Title(card))).Caption(Markup.Escape(Footer(card)))
            .AddColumns("Figure", "Value", "Target", "Result", "Note");
        foreach (var line in card.Lines)
        {
            table.AddRow(
                Markup.Escape(line.Metric),
                Markup.Escape(Value(line)),
                Markup.Escape(line.Target ?? ""),
                line.Pass switch { true => "[green]pass[/]", false => "[red]FAIL[/]", null => "" },
                Markup.Escape(line.Note ?? ""));
        }

        return table;
    }

    public static string Markdown(Scorecard card)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"**{Title(card)}**\n\n| Figure | Value | Target | Result | Note |\n| --- | ---: | --- | --- | --- |\n");
        foreach (var line in card.Lines)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {Cell(line.Metric)} | {Cell(Value(line))} | {Cell(line.Target ?? "")} | {line.Pass switch { true => "pass", false => "**FAIL**", null => "" }} | {Cell(line.Note ?? "")} |\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"\n{Footer(card)}\n");
        return text.ToString();
    }

    public static string Csv(Scorecard card)
    {
        var text = new StringBuilder("metric,value,unit,target,pass,note\n");
        foreach (var line in card.Lines)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{Quote(line.Metric)},{line.Value?.ToString("R", CultureInfo.InvariantCulture)},{Quote(line.Unit)},{Quote(line.Target ?? "")},{line.Pass switch { true => "true", false => "false", null => "" }},{Quote(line.Note ?? "")}\n");
        }

        return text.ToString();
    }

    private static string Title(Scorecard card) =>
        $"{card.Workload} against {card.Url} ({card.Model}), {card.Arrival}: {card.Succeeded} of {card.Requests} requests ok";

    private static string Footer(Scorecard card) =>
        $"{(card.MeetsTargets ? "Meets every target." : "Misses a target (or a request failed).")} CPU: {card.CpuSource}.";

    private static string Value(ScoreLine line) => line.Value is { } v ? Format(v, line.Unit) : "n/a";

    /// <summary>A figure with its unit, to the precision the scorecard shows it at.</summary>
    public static string Format(double v, string unit) => unit switch
    {
        "%" => v.ToString("0.0", CultureInfo.InvariantCulture) + " %",
        "s" => v.ToString("0.000", CultureInfo.InvariantCulture) + " s",
        "x" => v.ToString("0.00", CultureInfo.InvariantCulture) + " x",
        "GiB" => v.ToString("0.000", CultureInfo.InvariantCulture) + " GiB",
        "ratio" => v.ToString("0.00", CultureInfo.InvariantCulture),
        _ => v.ToString("0.0", CultureInfo.InvariantCulture) + " " + unit,
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Quote(string text) => text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
        ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : text;
}
