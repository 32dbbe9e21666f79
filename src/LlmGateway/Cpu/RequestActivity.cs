namespace LlmGateway.Cpu;

/// <summary>Whether the gateway is forwarding work to llama-server now, and how many requests have ended: what tells busy from idle.</summary>
/// <remarks>
/// Only the gateway reaches llama-server (its socket is private and needs a per-start key), so when no request is in
/// flight and none has ended since a poller last looked, nothing the poller would read has changed. The pollers use
/// this to sleep while the gateway is idle and to wake when the first request of a burst starts.
/// </remarks>
public sealed class RequestActivity(TimeProvider time) : IDisposable
{
    private readonly AutoResetEvent _startedSignal = new(false);
    private TaskCompletionSource _nextStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private long _ended;
    private long _lastEnded;

    /// <summary>Requests being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Requests ended since the gateway started: a poller that saw this number has seen every end before it.</summary>
    public long Ended => Interlocked.Read(ref _ended);

    /// <summary>How long ago the last request ended; null when none has.</summary>
    public TimeSpan? SinceLastEnd => Interlocked.Read(ref _lastEnded) is var t && t != 0 ? time.GetElapsedTime(t) : null;

    /// <summary>Set when a request starts while none was in flight; for one thread that sleeps on wait handles (the CPU sampler).</summary>
    public WaitHandle StartedSignal => _startedSignal;

    /// <summary>Completes when a request next starts while none was in flight. Read it before checking <see cref="InFlight"/>.</summary>
    public Task NextStart => Volatile.Read(ref _nextStart).Task;

    public void RequestStarted()
    {
        if (Interlocked.Increment(ref _inFlight) != 1)
        {
            return;
        }

        _startedSignal.Set();
        Interlocked.Exchange(ref _nextStart, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public void RequestEnded()
    {
        Interlocked.Exchange(ref _lastEnded, Math.Max(1, time.GetTimestamp()));
        Interlocked.Increment(ref _ended);
        Interlocked.Decrement(ref _inFlight);
    }

    public void Dispose() => _startedSignal.Dispose();
}
