using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests.InProcess;

/// <summary>One read of /metrics in Prometheus' text format: every sample with its labels.</summary>
public sealed partial class MetricsScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public string Text { get; private init; } = "";

    public static MetricsScrape Parse(string text)
    {
        var scrape = new MetricsScrape { Text = text };
        foreach (Match m in Sample().Matches(text))
        {
            var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value);
            scrape._samples.Add((m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return scrape;
    }

    /// <summary>The sum of every sample named <paramref name="name"/> whose labels include all of <paramref name="labels"/>; 0 when none.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    /// <summary>Requests the gateway counted with this outcome label (llmgw_requests_total, every endpoint and status).</summary>
    public double Requests(string outcome) => Sum("llmgw_requests_total", ("outcome", outcome));

    /// <summary>The gateway's counters, for the message of a wait that failed.</summary>
    public override string ToString() =>
        string.Join('\n', Text.Split('\n').Where(l => l.StartsWith("llmgw_", StringComparison.Ordinal) && l.Contains("_total", StringComparison.Ordinal)));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
