
namespace LlmGateway.Hosting;

/// <summary>Lets at most llama-server's slot count in at once; a bounded queue waits for a slot.</summary>
/// <remarks>
/// llama-server queues excess requests itself, but without a bound and without telling anyone; here the
/// wait is bounded in length and time and a full queue answers 429 at once, so clients can back off.
/// </remarks>
/// <param name="slots">The model's llama-server slots (its Parallel): one admission per model.</param>
/// <param name="limits">Proxy:QueueLength and Proxy:QueueTimeoutSeconds.</param>
public sealed class Admission(int slots, QueueLimits limits, TimeProvider time)
{
    private readonly SemaphoreSlim _slots = new(slots, slots);
    private readonly int _queueLength = limits.Length;
    private readonly TimeSpan _queueTimeout = limits.Timeout;
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public int InFlight => slots - _slots.CurrentCount;

    /// <summary>A slot to release by disposing, or null when the queue is full or the wait timed out.</summary>
    public async Task<Slot?> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0))
        {
            return new Slot(_slots);
        }

        if (Interlocked.Increment(ref _waiting) > _queueLength)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_queueTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            await _slots.WaitAsync(linked.Token);
            return new Slot(_slots);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

/// <summary>How many requests may wait for a model's slot, and for how long.</summary>
public sealed record QueueLimits(int Length, TimeSpan Timeout);
