using System.Collections.Concurrent;
using System.Text.Json;
using Xunit.Abstractions;

namespace LlmGateway.Tests;

/// <summary>llama-server killed with SIGKILL while 8 clients keep asking, half of them streaming.</summary>
[Collection(MachineAlone.Name)]
public sealed class SupervisionChildKillTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int Kills = 2;

    [Fact]
    public async Task ChildKilledUnderEightClients_EveryRequestCompletesOrGetsRetryAfterOrAnAbortedStream_NeverAHang()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__Parallel"] = "2";
        settings["LlamaServer__RestartDelaySeconds"] = "0.5";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var model = await gateway.ModelIdAsync();
        // A hang is what this test is about: a request still unanswered at the shared ceiling is reported as one.
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        var outcomes = new ConcurrentBag<(int Client, bool Stream, FaultOutcome Outcome, string Detail)>();
        using var stop = new CancellationTokenSource();

        async Task ClientAsync(int client)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var stream = (client + i) % 2 == 0;
                using var hang = new CancellationTokenSource(Eventually.Ceiling);
                try
                {
                    var (outcome, detail) = await FaultClient.ChatAsync(http, model, stream, maxTokens: 48, hang.Token);
                    outcomes.Add((client, stream, outcome, detail));
                    if (outcome == FaultOutcome.RetryLater)
                    {
                        await Task.Delay(100); // as told, if sooner than Retry-After: the test wants requests during the restart
                    }
                }
                catch (OperationCanceledException)
                {
                    outcomes.Add((client, stream, FaultOutcome.Wrong, $"no answer within {Eventually.Ceiling.TotalSeconds:0} s: a hang"));
                }
            }
        }

        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(c))).ToArray();
        for (var kill = 0; kill < Kills; kill++)
        {
            await WaitForCompletionsAsync(outcomes, 8 + outcomes.Count(o => o.Outcome == FaultOutcome.Complete));
            var pid = await gateway.ChildPidAsync();
            Assert.Equal(0, Posix.Kill(pid, Posix.SigKill));
            await Eventually.UntilAsync(() => Posix.IsAlive(pid), alive => !alive, $"the killed llama-server (pid {pid}) to be gone");

            await gateway.WaitUntilReadyAsync();
        }

        await WaitForCompletionsAsync(outcomes, 8 + outcomes.Count(o => o.Outcome == FaultOutcome.Complete));
        stop.Cancel();
        await Task.WhenAll(clients);

        foreach (var group in outcomes.GroupBy(o => (o.Stream, o.Outcome, o.Outcome == FaultOutcome.RetryLater ? o.Detail : "")))
        {
            output.WriteLine($"stream={group.Key.Stream} {group.Key.Outcome} {group.Key.Item3}: {group.Count()}");
        }

        var wrong = outcomes.Where(o => o.Outcome == FaultOutcome.Wrong).ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong.Select(w => $"client {w.Client} stream={w.Stream}: {w.Detail}")));
        Assert.Contains(outcomes, o => o.Outcome is FaultOutcome.RetryLater or FaultOutcome.Aborted); // the kills were felt
        var ready = await gateway.ReadyStateAsync();
        Assert.True(ready.GetProperty("crashes").GetInt32() >= Kills, ready.ToString());
        Assert.Equal(JsonValueKind.Number, ready.GetProperty("pid").ValueKind);
    }

    private static Task WaitForCompletionsAsync(ConcurrentBag<(int, bool, FaultOutcome Outcome, string)> outcomes, int count) =>
        Eventually.UntilAsync(() => outcomes.Count(o => o.Outcome == FaultOutcome.Complete), completed => completed >= count, $"{count} completed requests");
}
