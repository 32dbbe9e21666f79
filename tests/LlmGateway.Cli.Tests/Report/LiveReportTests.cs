using System.Text.Json;
using LlmGateway.Cli.Report;
using LlmGateway.Tests;

namespace LlmGateway.Cli.Tests.Report;

/// <summary>llmgw report --live --once against the real gateway: the gateway's own scorecard, its verdict as the exit code.</summary>
public sealed class LiveReportTests
{
    [Fact]
    public async Task Live_once_prints_the_gateways_scorecard_and_exits_3_once_a_target_is_missed()
    {
        // Targets no machine can miss (idle) or meet (p95): the verdicts are certain, whatever the load.
        await using var gateway = await GatewayProcess.StartAsync(GatewayProcess.Settings(new Dictionary<string, string?>
        {
            ["Targets__IdleCpuPercent"] = "100",
            ["Targets__P95LatencySeconds"] = "0.000001",
        }));
        var directory = Directory.CreateTempSubdirectory("llmgw-live-");
        try
        {
            var card = Path.Combine(directory.FullName, "card.json");
            string[] once = ["report", "--live", "--once", "--url", gateway.BaseUri.ToString(), "--window", "60", "--format", "json", "--out", card];

            // No request yet: nothing is missed, so the verdict is met (or nothing to judge before the first idle sample).
            Assert.Equal(0, await LlmgwApp.Create().RunAsync(once));
            using (var idle = JsonDocument.Parse(await File.ReadAllTextAsync(card)))
            {
                Assert.Equal(60, idle.RootElement.GetProperty("window_seconds").GetDouble());
                Assert.Contains(idle.RootElement.GetProperty("lines").EnumerateArray(), l => l.GetProperty("figure").GetString() == "latency_p95_seconds");
            }

            using (var answer = await gateway.Http.PostAsync("/v1/chat/completions", new StringContent(
                """{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json")))
            {
                answer.EnsureSuccessStatusCode();
            }

            Assert.Equal(3, await LlmgwApp.Create().RunAsync(once));
            using var busy = JsonDocument.Parse(await File.ReadAllTextAsync(card));
            Assert.False(busy.RootElement.GetProperty("meets_targets").GetBoolean());

            // The same as Markdown, for a status page or a ticket.
            var markdown = Path.Combine(directory.FullName, "card.md");
            Assert.Equal(3, await LlmgwApp.Create().RunAsync(["report", "--live", "--once", "--url", gateway.BaseUri.ToString(), "--format", "markdown", "--out", markdown]));
            Assert.Contains("| latency_p95_seconds |", await File.ReadAllTextAsync(markdown), StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static TheoryData<ReportSettings, string> BadLiveOptions => new()
    {
        { new ReportSettings { Once = true }, "--once goes with --live" },
        { new ReportSettings { Live = true, Workload = "w.jsonl" }, "leave out --workload" },
        { new ReportSettings { Live = true, WindowSeconds = 0 }, "--window must be more than 0" },
        { new ReportSettings { Live = true, RefreshSeconds = -1 }, "--refresh must be more than 0" },
    };

    [Theory]
    [MemberData(nameof(BadLiveOptions))]
    public void Bad_live_options_are_refused_naming_them(ReportSettings settings, string message)
    {
        var result = settings.Validate();

        Assert.False(result.Successful);
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
    }
}
