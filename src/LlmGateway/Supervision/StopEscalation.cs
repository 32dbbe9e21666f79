namespace LlmGateway.Supervision;

/// <summary>The two ways a child is stopped: politely when the gateway stops, and by force LlamaServer:StopTimeoutSeconds later.</summary>
/// <remarks>
/// The polite token is the gateway's own stopping token (CliWrap sends SIGINT on it, which the launcher forwards);
/// <see cref="Forceful"/> is cancelled the stop timeout after it, on the <see cref="TimeProvider"/>, so a child that
/// ignores SIGINT is killed however it behaves, and a test can move the clock instead of waiting.
/// </remarks>
internal sealed class StopEscalation : IDisposable
{
    private readonly CancellationTokenSource _forceful;
    private readonly CancellationTokenRegistration _stopping;

    public StopEscalation(TimeSpan stopTimeout, TimeProvider time, CancellationToken stopping)
    {
        // A timer from the provider that does not run until the stop: CancelAfter then arms that same timer.
        _forceful = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _stopping = stopping.Register(() => _forceful.CancelAfter(stopTimeout));
    }

    /// <summary>Cancelled the stop timeout after the stop began, or at once by <see cref="KillNow"/>: CliWrap then kills the child.</summary>
    public CancellationToken Forceful => _forceful.Token;

    /// <summary>Kills the child without asking (it did not start, or it hangs).</summary>
    public void KillNow() => _forceful.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        _forceful.Dispose();
    }
}
