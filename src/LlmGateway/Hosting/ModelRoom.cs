using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>Loads a model once it fits the memory budget beside the loaded ones, unloading idle ones first (<see cref="Eviction"/>).</summary>
/// <remarks>
/// A load asked for goes on by itself, whether or not the request that asked still waits: the request waits only as long
/// as Models:LoadWaitSeconds, and the next one finds the model loading or loaded. One room decision at a time, so two loads
/// never count the same free bytes; a request for a model that is loaded never comes here, so it is never held up by
/// another model's load.
/// </remarks>
/// <param name="hold">Models:SwapHoldSeconds: an idle model used within it is kept while another waits, so bursts are served as groups.</param>
/// <param name="maxWait">Models:SwapMaxWaitSeconds: once a load has waited this long, the hold no longer keeps any model.</param>
public sealed partial class ModelRoom(long budgetBytes, TimeSpan hold, TimeSpan maxWait, TimeProvider time, ILogger<ModelRoom> logger)
{
    private readonly SemaphoreSlim _deciding = new(1, 1);
    private readonly HashSet<ModelHost> _pending = [];
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Bytes the models may hold together: Memory:BudgetBytes less Memory:ReserveBytes.</summary>
    public long BudgetBytes => budgetBytes;

    internal IReadOnlyList<ModelHost> Hosts { get; set; } = [];

    /// <summary>Something that frees or holds memory changed: a model's state, or a request that ended.</summary>
    public void Changed() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>Loads <paramref name="host"/> as soon as it fits; a load already asked for is not asked twice.</summary>
    public void RequestLoad(ModelHost host)
    {
        lock (_pending)
        {
            if (!_pending.Add(host))
            {
                return;
            }
        }

        // Mostly it fits at once: decided here, so the caller reads "loading" on return; else the wait goes on in the background.
        if (_deciding.Wait(0))
        {
            bool done;
            try
            {
                done = TryLoadNow(host);
            }
            finally
            {
                _deciding.Release();
            }

            if (done)
            {
                lock (_pending)
                {
                    _pending.Remove(host);
                }

                return;
            }
        }

        _ = Task.Run(() => LoadWhenRoomAsync(host));
    }

    /// <summary>Under the decision lock: loads the model if it needs no room made; false when it must wait or evict.</summary>
    private bool TryLoadNow(ModelHost host)
    {
        if (host.State.Status is not (ChildStatus.Unloaded or ChildStatus.Stopping))
        {
            return true;
        }

        var decision = Eviction.Decide(budgetBytes, host.EstimatedBytes, Residents(host), hold);
        if (!decision.Load || decision.Unload.Count > 0)
        {
            return false;
        }

        if (decision.Alone)
        {
            LogAlone(logger, host.Id, host.EstimatedBytes, budgetBytes);
        }

        host.Supervisor.Load();
        return true;
    }

    private List<Eviction.Resident> Residents(ModelHost except) =>
        [.. Hosts.Where(h => h != except && h.HoldsMemory).Select(h => h.AsResident())];

    private async Task LoadWhenRoomAsync(ModelHost host)
    {
        try
        {
            var since = time.GetTimestamp();
            await _deciding.WaitAsync();
            try
            {
                var logged = false;
                while (host.State.Status is ChildStatus.Unloaded or ChildStatus.Stopping)
                {
                    var changed = Volatile.Read(ref _changed).Task; // before the states are read: no change is missed
                    var waited = time.GetElapsedTime(since);
                    var holding = waited < maxWait ? hold : TimeSpan.Zero;
                    var residents = Residents(host);
                    var decision = Eviction.Decide(budgetBytes, host.EstimatedBytes, residents, holding);
                    if (!decision.Load)
                    {
                        if (!logged)
                        {
                            LogWaiting(logger, host.Id, host.EstimatedBytes, budgetBytes);
                            logged = true;
                        }

                        // Until a request ends or a state changes, or a held model's hold (or this wait's bound) runs out.
                        var next = residents.Where(r => r.Evictable && r.IdleFor < holding).Select(r => holding - r.IdleFor)
                            .Append(maxWait - waited).Where(t => t > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Min();
                        await Task.WhenAny(changed, Task.Delay(next + TimeSpan.FromMilliseconds(1), time));
                        continue;
                    }

                    if (decision.Unload.Count == 0)
                    {
                        if (decision.Alone)
                        {
                            LogAlone(logger, host.Id, host.EstimatedBytes, budgetBytes);
                        }

                        host.Supervisor.Load();
                        return;
                    }

                    var victims = decision.Unload.Select(id => Hosts.First(h => h.Id == id)).ToList();
                    foreach (var victim in victims)
                    {
                        LogEvicting(logger, victim.Id, victim.EstimatedBytes, host.Id, host.EstimatedBytes, budgetBytes);
                    }

                    await Task.WhenAll(victims.Select(v => v.UnloadAsync("evicted"))); // each returns once its child is gone
                }
            }
            finally
            {
                _deciding.Release();
            }
        }
        catch (Exception e)
        {
            LogFailed(logger, host.Id, e);
        }
        finally
        {
            lock (_pending)
            {
                _pending.Remove(host);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloading {Victim} (about {VictimBytes} bytes, idle the longest) to make room for {Model} (about {Bytes} bytes) within the models' memory budget of {Budget} bytes")]
    private static partial void LogEvicting(ILogger logger, string victim, long victimBytes, string model, long bytes, long budget);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} (about {Bytes} bytes) waits for room: the models' memory budget of {Budget} bytes is held by busy, loading or just used models")]
    private static partial void LogWaiting(ILogger logger, string model, long bytes, long budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model} needs about {Bytes} bytes, more than the models' memory budget of {Budget} bytes (Memory:BudgetBytes less Memory:ReserveBytes): it is loaded alone")]
    private static partial void LogAlone(ILogger logger, string model, long bytes, long budget);

    [LoggerMessage(Level = LogLevel.Error, Message = "Making room for {Model} failed")]
    private static partial void LogFailed(ILogger logger, string model, Exception exception);
}
