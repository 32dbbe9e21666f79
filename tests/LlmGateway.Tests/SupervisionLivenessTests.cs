namespace LlmGateway.Tests;

/// <summary>A llama-server that stops answering (SIGSTOP) is found by the liveness check, killed and restarted.</summary>
[Collection(MachineAlone.Name)]
public sealed class SupervisionLivenessTests
{
    private const int SigStop = 19;

    [Fact]
    public async Task ChildStopped_IsKilledAndRestarted_InFlightRequestsFailCleanly()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__LivenessIntervalSeconds"] = "0.5";
        settings["LlamaServer__LivenessTimeoutSeconds"] = "3";
        settings["LlamaServer__Parallel"] = "2";
        settings["LlamaServer__ContextSize"] = "4096";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var model = await gateway.ModelIdAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        var pid = await gateway.ChildPidAsync();

        // Both in flight when the child stops: long enough that neither can finish first.
        using var hang = new CancellationTokenSource(Eventually.Ceiling);
        var stream = FaultClient.ChatAsync(http, model, stream: true, maxTokens: 1900, hang.Token);
        var whole = FaultClient.ChatAsync(http, model, stream: false, maxTokens: 1900, hang.Token);
        await Eventually.UntilAsync(gateway.BusySlotsAsync, busy => busy == 2, "both requests in llama-server's slots");

        Assert.Equal(0, Posix.Kill(pid, SigStop));
        var restarting = await gateway.WaitForStateAsync(s => s.GetProperty("status").GetString() != "ready", "not ready after SIGSTOP");
        var (streamOutcome, streamDetail) = await stream;
        var (wholeOutcome, wholeDetail) = await whole;

        Assert.Contains("LlamaServer:LivenessTimeoutSeconds", restarting.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(streamOutcome is FaultOutcome.Aborted or FaultOutcome.RetryLater, $"stream: {streamOutcome} {streamDetail}");
        Assert.True(wholeOutcome == FaultOutcome.RetryLater, $"non-stream: {wholeOutcome} {wholeDetail}");
        await gateway.WaitForStateAsync(_ => !Posix.IsAlive(pid), "the stopped child to be gone");
        await gateway.WaitUntilReadyAsync();
        var after = await gateway.ReadyStateAsync();
        Assert.NotEqual(pid, after.GetProperty("pid").GetInt32());
        Assert.Equal(FaultOutcome.Complete, (await FaultClient.ChatAsync(http, model, stream: true, maxTokens: 8)).Outcome);
    }

    [Fact]
    public async Task ChildBusyGenerating_AnswersHealth_AndIsNotKilled()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__LivenessIntervalSeconds"] = "0.2";
        settings["LlamaServer__LivenessTimeoutSeconds"] = "1";
        settings["LlamaServer__ContextSize"] = "4096";
        await using var gateway = await GatewayProcess.StartAsync(settings); // one slot, the default
        var model = await gateway.ModelIdAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling };

        // Generation in the only slot (a second or more; minutes on a loaded machine), with /health asked five times a second meanwhile.
        var (outcome, detail) = await FaultClient.ChatAsync(http, model, stream: true, maxTokens: 400);

        Assert.Equal(FaultOutcome.Complete, outcome);
        var ready = await gateway.ReadyStateAsync();
        Assert.Equal(0, ready.GetProperty("crashes").GetInt32());
        Assert.Equal(1, ready.GetProperty("starts").GetInt32());
        Assert.DoesNotContain("did not answer /health", gateway.Output, StringComparison.Ordinal);
        _ = detail;
    }
}
