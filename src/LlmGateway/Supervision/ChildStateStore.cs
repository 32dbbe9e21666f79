namespace LlmGateway.Supervision;

/// <summary>One model's child as its supervisor last published it: the state and, while it runs, its endpoint.</summary>
/// <remarks>
/// Replaced whole, never mutated, so readers (the proxy, /ready, the sampler, telemetry) see one consistent snapshot.
/// Waiters get a task that completes at the next change; <see cref="Changed"/> tells observers such as the model registry.
/// </remarks>
public sealed class ChildStateStore
{
    private volatile Snapshot _current = new(new ChildState(ChildStatus.Unloaded), null);
    private TaskCompletionSource _next = NewSignal();

    /// <summary>Raised after every change, on the publishing thread.</summary>
    public event Action? Changed;

    public ChildState State => _current.State;

    public LlamaServerEndpoint? Endpoint => _current.Endpoint;

    /// <summary>Completes at the next change.</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Publish(ChildState state, LlamaServerEndpoint? endpoint)
    {
        _current = new Snapshot(state, endpoint);
        Signal();
    }

    public void Publish(ChildState state)
    {
        _current = _current with { State = state };
        Signal();
    }

    /// <summary>Replaces the state only if it is still <paramref name="expected"/>: for observers that must not undo a newer state.</summary>
    public bool Replace(ChildState expected, ChildState next)
    {
        var current = _current;
        if (!ReferenceEquals(current.State, expected)
            || !ReferenceEquals(Interlocked.CompareExchange(ref _current, current with { State = next }, current), current))
        {
            return false;
        }

        Signal();
        return true;
    }

    /// <summary>Waits until <paramref name="done"/> holds for the state or <paramref name="limit"/> passes (on <paramref name="time"/>'s clock); returns the last state.</summary>
    public async Task<ChildState> WaitAsync(Func<ChildState, bool> done, TimeSpan limit, TimeProvider time, CancellationToken ct)
    {
        if (limit <= TimeSpan.Zero)
        {
            return State; // no wait: the state as it is
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var expired = Task.Delay(Timeout.InfiniteTimeSpan, time, timeout.Token);
        using var timer = time.CreateTimer(_ => timeout.Cancel(), null, limit, Timeout.InfiniteTimeSpan);
        while (true)
        {
            var next = NextChange; // taken before the state is read, so no change between the two is missed
            var state = State;
            if (done(state) || timeout.IsCancellationRequested)
            {
                ct.ThrowIfCancellationRequested();
                return state;
            }

            await Task.WhenAny(next, expired);
        }
    }

    private void Signal()
    {
        Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();
        Changed?.Invoke();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Snapshot(ChildState State, LlamaServerEndpoint? Endpoint);
}
