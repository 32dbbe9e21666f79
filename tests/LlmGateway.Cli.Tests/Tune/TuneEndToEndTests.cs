using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Cli.Tune;
using LlmGateway.Tests;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.Cli.Tests.Tune;

/// <summary>llmgw tune on the real gateway serving the tiny model, through the command line as a user runs it.</summary>
public sealed class TuneEndToEndTests
{
    [Fact]
    public async Task Tune_measures_both_candidates_and_writes_a_winner_a_gateway_starts_with()
    {
        var directory = Directory.CreateTempSubdirectory("llmgw-tune-");
        try
        {
            var workload = Path.Combine(directory.FullName, "w.jsonl");
            await File.WriteAllLinesAsync(workload,
            [
                """{"name":"e2e","arrival":"sequential","system":"You classify security events. Answer in JSON."}""",
                """{"id":"a","messages":[{"role":"user","content":"sshd: Failed password for root from 10.0.0.9"}],"max_tokens":4}""",
                """{"id":"b","messages":[{"role":"user","content":"proto=tcp dst=185.220.101.34:9001 process=/tmp/.x/kworker"}],"max_tokens":4}""",
            ]);
            var results = Path.Combine(directory.FullName, "results.jsonl");
            var winner = Path.Combine(directory.FullName, "tuned.env");

            // Two candidates: threads-batch 1 or 2, everything else fixed. Targets no shared machine can miss, so neither
            // is stopped early nor ruled out, and one of them wins; which one is noise, and not asserted.
            var exit = await LlmgwApp.Create().RunAsync(
            [
                "tune", "--workload", workload, "--model", TestEnvironment.TinyModel,
                "--gateway", typeof(LlmGateway.Extensions).Assembly.Location,
                "--set", $"LlamaServer__ExecutablePath={TestEnvironment.LlamaServer}", "--set", $"LlamaServer__LauncherPath={TestEnvironment.Launcher}",
                "--budgets", "100", "--modes", "None", "--threads", "1", "--threads-batch", "1,2", "--cap-periods", "100000",
                "--context-sizes", "2048", "--parallel", "1", "--idle-seconds", "0", "--settle-seconds", "0",
                "--max-p95", "600", "--max-cpu-mean", "100", "--max-cpu-p99", "100", "--max-tail-ratio", "1000000", "--max-idle-cpu", "100",
                "--results", results, "--write", winner,
            ]);

            Assert.Equal(0, exit);
            var measured = ResultsFile.Read(results);
            Assert.Equal(2, measured.Count);
            Assert.All(measured, r =>
            {
                Assert.Equal(CandidateStatus.Measured, r.Status);
                Assert.Equal((2, 0), (r.Requests, r.FailedRequests));
                Assert.True(r.MeetsTargets, r.Reason);
                Assert.NotNull(r.P95Seconds);
                Assert.NotNull(r.CpuMeanPercent);
            });
            Assert.Equal([1, 2], measured.Select(r => r.Candidate.ThreadsBatch).Order());
            Assert.True(File.Exists(Path.ChangeExtension(results, ".pareto.png")), "the Pareto plot beside the results");
            Assert.True(File.Exists(Path.ChangeExtension(results, ".cpu.png")), "the CPU plot beside the results");

            // The winner's settings, as written, start a gateway that runs with them.
            var settings = SettingsWriter.ReadEnvironmentLines(winner);
            var threadsBatch = int.Parse(settings.Single(s => s.Key == "Cpu__ThreadsBatch").Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(measured, r => r.Candidate.ThreadsBatch == threadsBatch);
            await using var gateway = await GatewayProcess.StartAsync(GatewayProcess.OwnCpuSettings(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))));
            var plan = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu/plan");
            Assert.Equal(("Custom", 100, "None", 1, threadsBatch),
                (plan.GetProperty("profile").GetString(), plan.GetProperty("budget_percent").GetInt32(), plan.GetProperty("mode").GetString(),
                 plan.GetProperty("threads").GetInt32(), plan.GetProperty("threads_batch").GetInt32()));

            // Run again with the same results file: it resumes, runs nothing, and finds a winner among the same two.
            var again = await LlmgwApp.Create().RunAsync(
            [
                "tune", "--workload", workload, "--model", TestEnvironment.TinyModel, "--gateway", typeof(LlmGateway.Extensions).Assembly.Location,
                "--set", $"LlamaServer__ExecutablePath={TestEnvironment.LlamaServer}", "--set", $"LlamaServer__LauncherPath={TestEnvironment.Launcher}",
                "--budgets", "100", "--modes", "None", "--threads", "1", "--threads-batch", "1,2", "--context-sizes", "2048", "--parallel", "1",
                "--idle-seconds", "0", "--max-p95", "600", "--max-cpu-mean", "100", "--max-cpu-p99", "100", "--max-tail-ratio", "1000000", "--max-idle-cpu", "100",
                "--results", results,
            ]);
            Assert.Equal(0, again);
            Assert.Equal(2, ResultsFile.Read(results).Count);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_winner_as_json_reads_as_the_same_settings_as_its_environment_lines()
    {
        var winner = new Candidate("/models/m.gguf", 35, "CapAndYield", 1, 2, 50_000, 2048, 2);
        using var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(SettingsWriter.Json(winner)));
        var configuration = new ConfigurationBuilder().AddJsonStream(json).Build();

        foreach (var (key, value) in winner.Settings())
        {
            Assert.Equal(value, configuration[key.Replace("__", ":", StringComparison.Ordinal)]);
        }
    }
}
