namespace LlmGateway.Cli.Tune;

/// <summary>
/// The values each setting may take. Each list is in order of more resources (budget, threads, slots, context), which
/// the search's neighbours and dominance rules rely on.
/// </summary>
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
    /// <summary>Every candidate: what an exhaustive grid would run.</summary>
    public IEnumerable<Candidate> All() =>
        from m in Models
        from b in BudgetPercents
        from mode in Modes
        from t in Threads
        from tb in ThreadsBatch
        from period in CapPeriodsMicroseconds
        from ctx in ContextSizes
        from par in Parallel
        select new Candidate(m, b, mode, t, tb, period, ctx, par);

    public int Count => Models.Count * BudgetPercents.Count * Modes.Count * Threads.Count * ThreadsBatch.Count
        * CapPeriodsMicroseconds.Count * ContextSizes.Count * Parallel.Count;

    /// <summary>
    /// The candidate of this space nearest the plan, setting by setting (the plan itself when the space holds its
    /// values, as the default space does): the search starts there, and the space stays the one asked for.
    /// </summary>
    public Candidate Nearest(Candidate plan) => new(
        Models.Contains(plan.Model, StringComparer.Ordinal) ? plan.Model : Models[0],
        Closest(BudgetPercents, plan.BudgetPercent),
        Modes.Contains(plan.Mode, StringComparer.Ordinal) ? plan.Mode : Modes[0],
        Closest(Threads, plan.Threads), Closest(ThreadsBatch, plan.ThreadsBatch), Closest(CapPeriodsMicroseconds, plan.CapPeriodMicroseconds),
        Closest(ContextSizes, plan.ContextSize), Closest(Parallel, plan.Parallel));

    /// <summary>Whether every setting of <paramref name="c"/> is one of this space's values (a results file may hold others).</summary>
    public bool Contains(Candidate c) =>
        Models.Contains(c.Model, StringComparer.Ordinal) && BudgetPercents.Contains(c.BudgetPercent) && Modes.Contains(c.Mode, StringComparer.Ordinal)
        && Threads.Contains(c.Threads) && ThreadsBatch.Contains(c.ThreadsBatch) && CapPeriodsMicroseconds.Contains(c.CapPeriodMicroseconds)
        && ContextSizes.Contains(c.ContextSize) && Parallel.Contains(c.Parallel);

    /// <summary>The candidates one step away along one setting (the next smaller or larger value; any other model or mode).</summary>
    public IEnumerable<Candidate> Neighbours(Candidate c)
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
    }

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

    private static int Closest(IReadOnlyList<int> values, int value) => values.MinBy(v => (Math.Abs(v - value), v));
}
