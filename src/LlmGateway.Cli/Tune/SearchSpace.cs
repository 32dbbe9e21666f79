namespace LlmGateway.Cli.Tune;

/// <summary>
/// The values each setting may take. Each list is in order of more resources (budget, threads, slots, context), which
/// the search's neighbours and dominance rules rely on.
/// </summary>
/// <remarks>
/// The llama-server and backend settings (<see cref="BatchSizes"/> and after) may hold null, "not set": the gateway's
/// default. Each defaults to that alone, so a space that does not name them searches what it searched before they existed.
/// </remarks>
public sealed record SearchSpace(
    IReadOnlyList<string> Models,
    IReadOnlyList<int> BudgetPercents,
    IReadOnlyList<string> Modes,
    IReadOnlyList<int> Threads,
    IReadOnlyList<int> ThreadsBatch,
    IReadOnlyList<int> CapPeriodsMicroseconds,
    IReadOnlyList<int> ContextSizes,
    IReadOnlyList<int> Parallel)
{
    /// <summary>llama-server's defaults for --batch-size and --ubatch-size: where "not set" stands among the sizes.</summary>
    public const int DefaultBatchSize = 2048;

    public const int DefaultMicroBatchSize = 512;

    /// <summary>LlamaServer:BatchSize values; null: not set.</summary>
    public IReadOnlyList<int?> BatchSizes { get; init; } = [null];

    /// <summary>LlamaServer:MicroBatchSize values; null: not set.</summary>
    public IReadOnlyList<int?> MicroBatchSizes { get; init; } = [null];

    /// <summary>LlamaServer:KvCacheType values; null: not set.</summary>
    public IReadOnlyList<string?> KvCacheTypes { get; init; } = [null];

    /// <summary>LlamaServer:CachePrompt values; null: not set.</summary>
    public IReadOnlyList<bool?> CachePrompt { get; init; } = [null];

    /// <summary>Cpu:Backend values; null: not set.</summary>
    public IReadOnlyList<string?> Backends { get; init; } = [null];

    /// <summary>Every candidate: what an exhaustive grid would run (combinations the gateway would refuse left out).</summary>
    public IEnumerable<Candidate> All() =>
        from m in Models
        from b in BudgetPercents
        from mode in Modes
        from t in Threads
        from tb in ThreadsBatch
        from period in CapPeriodsMicroseconds
        from ctx in ContextSizes
        from par in Parallel
        from batch in BatchSizes
        from micro in MicroBatchSizes
        from kv in KvCacheTypes
        from cp in CachePrompt
        from backend in Backends
        let c = new Candidate(m, b, mode, t, tb, period, ctx, par, batch, micro, kv, cp, backend)
        where c.IsValid
        select c;

    public int Count => Models.Count * BudgetPercents.Count * Modes.Count * Threads.Count * ThreadsBatch.Count
        * CapPeriodsMicroseconds.Count * ContextSizes.Count * Parallel.Count
        * ValidBatchPairs * KvCacheTypes.Count * CachePrompt.Count * Backends.Count;

    /// <summary>
    /// The candidate of this space nearest the plan, setting by setting (the plan itself when the space holds its
    /// values, as the default space does): the search starts there, and the space stays the one asked for.
    /// </summary>
    public Candidate Nearest(Candidate plan)
    {
        var nearest = new Candidate(
            Models.Contains(plan.Model, StringComparer.Ordinal) ? plan.Model : Models[0],
            Closest(BudgetPercents, plan.BudgetPercent),
            Modes.Contains(plan.Mode, StringComparer.Ordinal) ? plan.Mode : Modes[0],
            Closest(Threads, plan.Threads), Closest(ThreadsBatch, plan.ThreadsBatch), Closest(CapPeriodsMicroseconds, plan.CapPeriodMicroseconds),
            Closest(ContextSizes, plan.ContextSize), Closest(Parallel, plan.Parallel),
            Closest(BatchSizes, plan.BatchSize, DefaultBatchSize), Closest(MicroBatchSizes, plan.MicroBatchSize, DefaultMicroBatchSize),
            KvCacheTypes.Contains(plan.KvCacheType) ? plan.KvCacheType : KvCacheTypes[0],
            CachePrompt.Contains(plan.CachePrompt) ? plan.CachePrompt : CachePrompt[0],
            Backends.Contains(plan.Backend) ? plan.Backend : Backends[0]);
        // The nearest micro-batch may be above the nearest batch: then the nearest that fits (TuneSettings makes sure one does).
        return nearest.IsValid ? nearest : nearest with
        {
            MicroBatchSize = MicroBatchSizes.Where(ub => (nearest with { MicroBatchSize = ub }).IsValid)
                .MinBy(ub => Math.Abs((ub ?? DefaultMicroBatchSize) - (nearest.MicroBatchSize ?? DefaultMicroBatchSize))),
        };
    }

    /// <summary>Whether every setting of <paramref name="c"/> is one of this space's values (a results file may hold others).</summary>
    public bool Contains(Candidate c) =>
        Models.Contains(c.Model, StringComparer.Ordinal) && BudgetPercents.Contains(c.BudgetPercent) && Modes.Contains(c.Mode, StringComparer.Ordinal)
        && Threads.Contains(c.Threads) && ThreadsBatch.Contains(c.ThreadsBatch) && CapPeriodsMicroseconds.Contains(c.CapPeriodMicroseconds)
        && ContextSizes.Contains(c.ContextSize) && Parallel.Contains(c.Parallel)
        && BatchSizes.Contains(c.BatchSize) && MicroBatchSizes.Contains(c.MicroBatchSize) && KvCacheTypes.Contains(c.KvCacheType)
        && CachePrompt.Contains(c.CachePrompt) && Backends.Contains(c.Backend);

    /// <summary>
    /// The candidates one step away along one setting (the next smaller or larger value; any other model, mode, KV cache
    /// type, prompt caching or backend), leaving out combinations the gateway would refuse.
    /// </summary>
    public IEnumerable<Candidate> Neighbours(Candidate c) => AllNeighbours(c).Where(n => n.IsValid);

    private IEnumerable<Candidate> AllNeighbours(Candidate c)
    {
        foreach (var m in Models.Where(m => m != c.Model))
        {
            yield return c with { Model = m };
        }

        foreach (var mode in Modes.Where(m => m != c.Mode))
        {
            yield return c with { Mode = mode };
        }

        foreach (var v in Steps(BudgetPercents, c.BudgetPercent))
        {
            yield return c with { BudgetPercent = v };
        }

        foreach (var v in Steps(Threads, c.Threads))
        {
            yield return c with { Threads = v };
        }

        foreach (var v in Steps(ThreadsBatch, c.ThreadsBatch))
        {
            yield return c with { ThreadsBatch = v };
        }

        foreach (var v in Steps(CapPeriodsMicroseconds, c.CapPeriodMicroseconds))
        {
            yield return c with { CapPeriodMicroseconds = v };
        }

        foreach (var v in Steps(ContextSizes, c.ContextSize))
        {
            yield return c with { ContextSize = v };
        }

        foreach (var v in Steps(Parallel, c.Parallel))
        {
            yield return c with { Parallel = v };
        }

        foreach (var v in Steps(BatchSizes, c.BatchSize, DefaultBatchSize))
        {
            yield return c with { BatchSize = v };
        }

        foreach (var v in Steps(MicroBatchSizes, c.MicroBatchSize, DefaultMicroBatchSize))
        {
            yield return c with { MicroBatchSize = v };
        }

        foreach (var kv in KvCacheTypes.Where(k => k != c.KvCacheType))
        {
            yield return c with { KvCacheType = kv };
        }

        foreach (var cp in CachePrompt.Where(p => p != c.CachePrompt))
        {
            yield return c with { CachePrompt = cp };
        }

        foreach (var backend in Backends.Where(b => b != c.Backend))
        {
            yield return c with { Backend = backend };
        }
    }

    /// <summary>Batch and micro-batch pairs the gateway accepts.</summary>
    private int ValidBatchPairs => BatchSizes.Sum(b => MicroBatchSizes.Count(ub => ub is null || b is null || ub <= b));

    private static IEnumerable<int> Steps(IReadOnlyList<int> values, int value)
    {
        var sorted = values.Order().ToList();
        var i = sorted.IndexOf(value);
        if (i > 0)
        {
            yield return sorted[i - 1];
        }

        if (i >= 0 && i < sorted.Count - 1)
        {
            yield return sorted[i + 1];
        }
    }

    /// <summary>As above for a size that may be unset: "not set" stands where llama-server's default stands.</summary>
    private static IEnumerable<int?> Steps(IReadOnlyList<int?> values, int? value, int unset)
    {
        var sorted = values.OrderBy(v => v ?? unset).ThenBy(v => v is null).ToList();
        var i = sorted.IndexOf(value);
        if (i > 0)
        {
            yield return sorted[i - 1];
        }

        if (i >= 0 && i < sorted.Count - 1)
        {
            yield return sorted[i + 1];
        }
    }

    private static int Closest(IReadOnlyList<int> values, int value) => values.MinBy(v => (Math.Abs(v - value), v));

    /// <summary>The value itself when the space holds it (unset included), else the nearest by what llama-server would use.</summary>
    private static int? Closest(IReadOnlyList<int?> values, int? value, int unset) =>
        values.Contains(value) ? value : values.MinBy(v => (Math.Abs((v ?? unset) - (value ?? unset)), v ?? unset));
}
