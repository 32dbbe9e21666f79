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

    /// <summary>Through CliWrap as the supervisor runs llama-server: SIGINT first, which this child notes and ignores; the kill when the clock says.</summary>
    [Fact]
    public async Task AChildIgnoringSigint_RunsOnAfterIt_AndIsKilledAtTheStopTimeout()
    {
        using var stopping = new CancellationTokenSource();
        using var stop = new StopEscalation(StopTimeout, _time, stopping.Token);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Cli.Wrap("sh")
            .WithArguments(["-c", "trap 'echo interrupted' INT; echo ready; while :; do sleep 0.05; done"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => (line == "ready" ? ready : interrupted).TrySetResult()))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(stop.Forceful, stopping.Token);
        await ready.Task.WaitAsync(Eventually.Ceiling);

        stopping.Cancel();
        await interrupted.Task.WaitAsync(Eventually.Ceiling); // the polite signal arrived, and was ignored

        Assert.False(run.Task.IsCompleted, "the child ignores SIGINT and never exits by itself");
        Assert.True(Posix.IsAlive(run.ProcessId));
        _time.Advance(StopTimeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Task.WaitAsync(Eventually.Ceiling));
        Assert.False(Posix.IsAlive(run.ProcessId), $"the child (pid {run.ProcessId}) outlived the kill");
    }
}
