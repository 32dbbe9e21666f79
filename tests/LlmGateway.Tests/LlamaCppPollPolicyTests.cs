using LlmGateway.Telemetry;

namespace LlmGateway.Tests;

/// <summary>llama-server's /metrics is read when it can have changed, and never while the gateway is idle.</summary>
public sealed class LlamaCppPollPolicyTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public void Idle_PollsNothing()
    {
        Assert.Null(LlamaCppMetrics.PollPolicy.Next(ready: true, newChild: false, inFlight: 0, endedSincePoll: false, sinceLastEnd: Long, sinceLastPoll: Long));
        Assert.Null(LlamaCppMetrics.PollPolicy.Next(ready: true, newChild: false, inFlight: 0, endedSincePoll: false, sinceLastEnd: null, sinceLastPoll: Long));
    }

    [Fact]
    public void ANewChild_IsPolledOnce_ForItsInstruments()
    {
        Assert.Equal(TimeSpan.Zero, LlamaCppMetrics.PollPolicy.Next(true, newChild: true, 0, false, null, Long));
        // Not at once again after a poll that failed.
        Assert.Equal(TimeSpan.FromMilliseconds(700), LlamaCppMetrics.PollPolicy.Next(true, newChild: true, 0, false, null, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public void NotReady_ChecksAgainLater_WithoutPolling()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), LlamaCppMetrics.PollPolicy.Next(ready: false, newChild: true, inFlight: 0, false, null, Long));
    }

    [Fact]
    public void WhileRequestsRun_PollsEveryFiveSeconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), LlamaCppMetrics.PollPolicy.Next(true, false, inFlight: 2, false, null, sinceLastPoll: TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.Zero, LlamaCppMetrics.PollPolicy.Next(true, false, inFlight: 1, false, null, sinceLastPoll: TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void AfterTheLastRequest_PollsOnceItHasSettled()
    {
        // Ended 300 ms ago: llama-server is given the rest of a second to count it.
        Assert.Equal(TimeSpan.FromMilliseconds(700),
            LlamaCppMetrics.PollPolicy.Next(true, false, 0, endedSincePoll: true, sinceLastEnd: TimeSpan.FromMilliseconds(300), sinceLastPoll: Long));
        Assert.Equal(TimeSpan.Zero,
            LlamaCppMetrics.PollPolicy.Next(true, false, 0, endedSincePoll: true, sinceLastEnd: TimeSpan.FromSeconds(1), sinceLastPoll: Long));
    }
}
