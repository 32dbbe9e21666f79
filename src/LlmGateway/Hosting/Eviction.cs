namespace LlmGateway.Hosting;

/// <summary>Whether a model fits in memory beside the loaded ones, and which idle ones go first when it does not.</summary>
/// <remarks>
/// By bytes, not by count: the estimates add up against the budget. Only an idle model is unloaded, least recently used
/// first; a busy one (a request in flight), a loading one or one already stopping is never taken, so the load waits for
/// it instead. A model larger than the whole budget loads once every other model is gone: alone is the best it can get.
/// Against thrashing, an idle model used within the last <c>hold</c> is kept too, so a burst of requests for it is served
/// as a group before another model takes its place; the caller sets <c>hold</c> to zero once the waiting model has waited
/// its bound, so neither starves. A pure function, tested in-process.
/// </remarks>
public static class Eviction
{
    /// <summary>A model that holds memory now: loaded, loading or stopping.</summary>
    /// <param name="Evictable">Loaded with nothing in flight: it may be unloaded to make room.</param>
    /// <param name="LastUsed">When its last request ended (a timestamp), for least-recently-used order.</param>
    /// <param name="IdleFor">How long ago that was.</param>
    public sealed record Resident(string Id, long Bytes, bool Evictable, long LastUsed, TimeSpan IdleFor = default);

    /// <param name="hold">An idle model used more recently than this is kept (zero: none is).</param>
    public static RoomDecision Decide(long budget, long needed, IReadOnlyList<Resident> residents, TimeSpan hold = default)
    {
        residents = [.. residents.Select(r => r.Evictable && r.IdleFor < hold ? r with { Evictable = false } : r)];
        var used = residents.Sum(r => r.Bytes);
        if (used + needed <= budget)
        {
            return RoomDecision.Fits;
        }

        List<string> evict = [];
        foreach (var r in residents.Where(r => r.Evictable).OrderBy(r => r.LastUsed))
        {
            evict.Add(r.Id);
            used -= r.Bytes;
            if (used + needed <= budget)
            {
                return RoomDecision.Evict(evict);
            }
        }

        // Even with every idle model gone it does not fit: alone it may (or is the best it gets); else wait for the busy.
        return residents.All(r => r.Evictable)
            ? RoomDecision.Evict(evict, alone: true)
            : RoomDecision.Wait;
    }
}

/// <summary>What <see cref="Eviction.Decide"/> concluded.</summary>
/// <param name="Unload">The models to unload first, least recently used first.</param>
/// <param name="Load">Whether to load once they are gone (else wait for a busy or loading model).</param>
/// <param name="Alone">The model does not fit the budget even alone: it is loaded with no other beside it.</param>
public sealed record RoomDecision(IReadOnlyList<string> Unload, bool Load, bool Alone = false)
{
    public static readonly RoomDecision Fits = new([], true);

    public static readonly RoomDecision Wait = new([], false);

    public static RoomDecision Evict(IReadOnlyList<string> ids, bool alone = false) => new(ids, true, alone);
}
