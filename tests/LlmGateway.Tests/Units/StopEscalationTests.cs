using CliWrap;
using LlmGateway.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>The kill after the stop timeout, on a fake clock: a child that ignores SIGINT is killed LlamaServer:StopTimeoutSeconds after the stop, not before.</summary>
public sealed class StopEscalationTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void WhileTheGatewayRuns_NothingIsKilled_HoweverLong()
    {
        using var stopping = new CancellationTokenSource();
        using var stop = new StopEscalation(StopTimeout, _time, stopping.Token);

        _time.Advance(TimeSpan.FromDays(30));

        Assert.False(stop.Forceful.IsCancellationRequested);
    }

    [Fact]
    public void AfterTheStop_TheKillComesAtTheStopTimeout()
    {
        using var stopping = new CancellationTokenSource();
        using var stop = new StopEscalation(StopTimeout, _time, stopping.Token);
        _time.Advance(TimeSpan.FromMinutes(10)); // the clock counts from the stop, not from the start

        stopping.Cancel();
        _time.Advance(StopTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(stop.Forceful.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(stop.Forceful.IsCancellationRequested);
    }

    [Fact]
    public void KillNow_KillsWithoutAStop()
    {
        using var stopping = new CancellationTokenSource();
        using var stop = new StopEscalation(StopTimeout, _time, stopping.Token);

        stop.KillNow();

        Assert.True(stop.Forceful.IsCancellationRequested);
        Assert.False(stopping.IsCancellationRequested);
    }

    /// <summary>Through CliWrap as the supervisor runs llama-server: SIGINT first, which this child ignores; the kill when the clock says.</summary>
    /// <remarks>
    /// The test does not wait to see the SIGINT arrive: once, beside two CPU hogs and a full test run, the shell's trap
    /// never reported it within two minutes, and that the polite signal reaches llama-server is shown end to end by
    /// SupervisionShutdownTests (its "cleaning up before exit" line). What is tested here is the escalation: after the
    /// stop, the child lives until the fake clock reaches the stop timeout, and is killed then.
    /// </remarks>
    [Fact]
    public async Task AChildIgnoringSigint_RunsOnAfterIt_AndIsKilledAtTheStopTimeout()
    {
        using var stopping = new CancellationTokenSource();
        using var stop = new StopEscalation(StopTimeout, _time, stopping.Token);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Cli.Wrap("sh")
            .WithArguments(["-c", "trap '' INT; echo ready; while :; do sleep 0.05; done"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => (line == "ready" ? ready : null)?.TrySetResult()))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(stop.Forceful, stopping.Token);
        await ready.Task.WaitAsync(Eventually.Ceiling);

        stopping.Cancel();
        _time.Advance(StopTimeout - TimeSpan.FromMilliseconds(1));

        Assert.False(stop.Forceful.IsCancellationRequested);
        Assert.False(run.Task.IsCompleted, "the child ignores SIGINT and never exits by itself");
        Assert.True(Posix.IsAlive(run.ProcessId));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Task.WaitAsync(Eventually.Ceiling));
        Assert.False(Posix.IsAlive(run.ProcessId), $"the child (pid {run.ProcessId}) outlived the kill");
    }
}
