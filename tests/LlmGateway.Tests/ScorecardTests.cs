using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>
/// The live scorecard (GET /admin/scorecard, the llmgw_scorecard_* gauges) and the raw samples it and llmgw report read
/// (GET /admin/cpu/samples), on the real gateway serving the tiny model.
/// </summary>
/// <remarks>
/// Amounts of CPU depend on the machine, so the test sets targets no machine can meet or miss and checks the verdicts,
/// and checks that each sample is classed busy or idle by what the gateway was doing.
/// </remarks>
public sealed class ScorecardTests
{
    [Fact]
    public async Task The_scorecard_judges_each_figure_against_the_configured_targets_and_samples_are_numbered_without_gaps()
    {
        await using var gateway = await GatewayProcess.StartAsync(GatewayProcess.Settings(new Dictionary<string, string?>
        {
            ["Targets__P95LatencySeconds"] = "0.000001", // no answer is this fast: missed
            ["Targets__IdleCpuPercent"] = "100",         // no machine uses more: met
            ["Targets__ActiveCpuMeanPercent"] = "100",
            ["Targets__ActiveCpuP99Percent"] = "100",
        }));

        // Before any request: idle samples only; the active and latency lines say why they have no value.
        var idle = await Eventually.UntilAsync(() => ScorecardAsync(gateway), s => s.GetProperty("idle_samples").GetInt32() >= 3,
            "three idle samples of the loaded llama-server");
        Assert.True(Line(idle, "idle_cpu_percent").GetProperty("met").GetBoolean(), idle.ToString());
        Assert.Equal(JsonValueKind.Null, Line(idle, "latency_p95_seconds").GetProperty("value").ValueKind);
        Assert.Equal("no request ended in the window", Line(idle, "latency_p95_seconds").GetProperty("note").GetString());
        Assert.True(idle.GetProperty("meets_targets").GetBoolean(), "only met targets could be judged yet: " + idle);

        var before = (await SamplesAsync(gateway, null)).GetProperty("next").GetInt64();
        using (var answer = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "sshd: Failed password for root from 10.0.0.9" } },
            max_tokens = 8,
        }))
        {
            answer.EnsureSuccessStatusCode();
        }

        // The samples taken while the request ran are busy, however short it was: it ended within one of them.
        var after = await Eventually.UntilAsync(() => SamplesAsync(gateway, before - 1),
            s => s.GetProperty("samples").EnumerateArray().Any(x => x.GetProperty("busy").GetBoolean()),
            "a sample taken while the request ran, classed busy");
        var sequences = after.GetProperty("samples").EnumerateArray().Select(x => x.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, sequences.Count).Select(i => before + i), sequences);
        Assert.Equal(sequences[^1] + 1, after.GetProperty("next").GetInt64());
        Assert.Equal(0, after.GetProperty("dropped").GetInt64());
        Assert.All(after.GetProperty("samples").EnumerateArray(), x => Assert.True(x.GetProperty("gateway_rss_bytes").GetInt64() > 0, x.ToString()));

        var busy = await Eventually.UntilAsync(() => ScorecardAsync(gateway), s => s.GetProperty("active_samples").GetInt32() >= 1,
            "the scorecard to count the busy sample");
        Assert.Equal(1, busy.GetProperty("requests").GetInt32());
        var p95 = Line(busy, "latency_p95_seconds");
        Assert.True(p95.GetProperty("value").GetDouble() > 0, busy.ToString());
        Assert.Equal((0.000001, "<=", false), (p95.GetProperty("target").GetDouble(), p95.GetProperty("comparison").GetString(), p95.GetProperty("met").GetBoolean()));
        Assert.True(Line(busy, "active_cpu_p99_percent").GetProperty("met").GetBoolean(), busy.ToString());
        Assert.False(busy.GetProperty("meets_targets").GetBoolean(), "one target missed is the verdict: " + busy);

        // Prometheus sees the same verdicts, figure by figure.
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Matches("llmgw_scorecard_met\\{[^}]*figure=\"latency_p95_seconds\"\\} 0\n", metrics);
        Assert.Matches("llmgw_scorecard_met\\{[^}]*figure=\"idle_cpu_percent\"\\} 1\n", metrics);
        Assert.Matches("llmgw_scorecard_target\\{[^}]*figure=\"latency_p99_p50_ratio\"\\} 2\n", metrics);

        // A window that is no window is refused, saying what it wants.
        using var bad = await gateway.Http.GetAsync("/admin/scorecard?window=-1");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("window must be a number of seconds", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static JsonElement Line(JsonElement scorecard, string figure) =>
        scorecard.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("figure").GetString() == figure);

    private static async Task<JsonElement> ScorecardAsync(GatewayProcess gateway) =>
        await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/scorecard?window=60");

    private static async Task<JsonElement> SamplesAsync(GatewayProcess gateway, long? after) =>
        await gateway.Http.GetFromJsonAsync<JsonElement>(after is { } a ? $"/admin/cpu/samples?after={a}" : "/admin/cpu/samples");
}
