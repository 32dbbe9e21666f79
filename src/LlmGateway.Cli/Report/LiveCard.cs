using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Cli.Report;

/// <summary>GET /admin/scorecard as the gateway serves it: the running service against its own targets over a window.</summary>
public sealed record LiveCard(
    [property: JsonPropertyName("window_seconds")] double WindowSeconds,
    [property: JsonPropertyName("meets_targets")] bool? MeetsTargets,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("active_samples")] int ActiveSamples,
    [property: JsonPropertyName("idle_samples")] int IdleSamples,
    [property: JsonPropertyName("lines")] IReadOnlyList<LiveLine> Lines)
{
    public static async Task<(LiveCard Card, string Json)> FetchAsync(HttpClient http, double windowSeconds, CancellationToken cancellationToken)
    {
        var json = await http.GetStringAsync(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"admin/scorecard?window={windowSeconds}"), cancellationToken);
        return (JsonSerializer.Deserialize<LiveCard>(json) ?? throw new InvalidOperationException("GET /admin/scorecard answered null"), json);
    }
}

/// <summary>One figure of the live scorecard.</summary>
public sealed record LiveLine(
    [property: JsonPropertyName("figure")] string Figure,
    [property: JsonPropertyName("value")] double? Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("target")] double? Target,
    [property: JsonPropertyName("comparison")] string? Comparison,
    [property: JsonPropertyName("met")] bool? Met,
    [property: JsonPropertyName("note")] string? Note);
