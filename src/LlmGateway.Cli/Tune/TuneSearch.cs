using LlmGateway.Cli.Report;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// The search: a steepest-descent walk over the space from the planner's own plan, instead of a grid.
/// <list type="number">
/// <item>Start at the plan (the gateway's defaults for this machine and the first model), or the candidate of the space
/// nearest it (<see cref="SearchSpace.Nearest"/>).</item>
/// <item>Run every neighbour of the current candidate (one setting one step smaller or larger, or another model or mode)
/// that was neither run before (this session or the results file) nor ruled out by a measured one (<see cref="Dominance"/>).
/// Each run stops early once it breaks a hard target (<see cref="HardTargetWatch"/>).</item>
/// <item>Move to the best candidate measured so far if it is better than the current one (<see cref="Rank"/>); stop when
/// none is. The winner is the candidate that meets every target with the lowest p95 latency.</item>
/// </list>
/// </summary>
/// <remarks>With <c>grid</c>, every candidate of the space is run in order instead (each still stopped early): the baseline the
/// walk is measured against in docs/tuning.md.</remarks>
public sealed class TuneSearch(ICandidateRunner runner, Targets targets, int plannedRequests, int? maxRuns = null, bool grid = false)
{
    /// <summary>Runs the search; <paramref name="resumed"/> are results of an earlier run, <paramref name="measured"/> is told of each new one.</summary>
    public async Task<TuneOutcome> RunAsync(
        SearchSpace space, IReadOnlyList<CandidateResult> resumed, Action<CandidateResult> measured, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, CandidateResult>(StringComparer.Ordinal);
        foreach (var r in resumed)
        {
            results[r.Candidate.Key] = r;
        }

        var order = new List<CandidateResult>(resumed);
        var skipped = new Dictionary<string, SkippedCandidate>(StringComparer.Ordinal);
        var runs = 0;
        var interrupted = false;
        Candidate plan = space.All().First();
        try
        {
            plan = await runner.PlanAsync(space.Models[0], cancellationToken);

            async Task<CandidateResult> MeasureAsync(Candidate c)
            {
                if (results.TryGetValue(c.Key, out var known))
                {
                    return known;
                }

                var result = await runner.RunAsync(c, new HardTargetWatch(plannedRequests, targets.P95LatencySeconds), cancellationToken);
                results[c.Key] = result;
                order.Add(result);
                runs++;
                measured(result);
                return result;
            }

            if (grid)
            {
                foreach (var candidate in space.All())
                {
                    if (maxRuns is { } max && runs >= max)
                    {
                        break;
                    }

                    await MeasureAsync(candidate);
                }
            }

            var current = grid ? results.Values.Where(r => space.Contains(r.Candidate)).MinBy(Rank)! : await MeasureAsync(space.Nearest(plan));
            while (!grid)
            {
                foreach (var next in space.Neighbours(current.Candidate))
                {
                    if (maxRuns is { } max && runs >= max)
                    {
                        break;
                    }

                    if (results.ContainsKey(next.Key) || skipped.ContainsKey(next.Key))
                    {
                        continue;
                    }

                    if (Dominance.DominatedBy(next, results.Values) is var (by, reason))
                    {
                        skipped[next.Key] = new SkippedCandidate(next, by.Candidate, reason);
                        continue;
                    }

                    await MeasureAsync(next);
                }

                // The walk stays in the space asked for, whatever else an earlier search left in the results file.
                var best = results.Values.Where(r => space.Contains(r.Candidate)).MinBy(Rank)!;
                if (Rank(best).CompareTo(Rank(current)) >= 0 || (maxRuns is { } limit && runs >= limit))
                {
                    break;
                }

                current = best;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }

        var winner = order.Where(r => r.MeetsTargets).MinBy(r => r.P95Seconds);
        return new TuneOutcome(plan, order, [.. skipped.Values], winner, ParetoFront(order), runs, space.Count, interrupted);
    }

    /// <summary>
    /// Orders candidates: those meeting every target by p95 latency; then the others by how far they miss (the sum of
    /// each missed figure's relative excess); then stopped runs, by how many requests ended before the stop (more first);
    /// failures to start last.
    /// </summary>
    public (int Tier, double Score) Rank(CandidateResult r)
    {
        if (r.MeetsTargets)
        {
            return (0, r.P95Seconds ?? double.MaxValue);
        }

        if (r.Status == CandidateStatus.Failed)
        {
            return (3, 0);
        }

        if (r.Status == CandidateStatus.Stopped)
        {
            // The further through the workload before it broke a target, the nearer it came: a gradient where all are stopped.
            return (2, -r.Requests);
        }

        var excess = Excess(r.CpuMeanPercent, targets.ActiveCpuMeanPercent) + Excess(r.CpuP99Percent, targets.ActiveCpuP99Percent)
            + Excess(r.P95Seconds, targets.P95LatencySeconds) + Excess(r.RssGiB, targets.RamGigabytes);
        return (1, excess);
    }

    /// <summary>Fully measured candidates no other beats on both p95 latency and active CPU mean (lower is better for both).</summary>
    public static IReadOnlyList<CandidateResult> ParetoFront(IEnumerable<CandidateResult> results)
    {
        var points = results.Where(r => r.Status == CandidateStatus.Measured && r.P95Seconds is not null && r.CpuMeanPercent is not null).ToList();
        return [.. points
            .Where(a => !points.Any(b => b != a
                && b.P95Seconds <= a.P95Seconds && b.CpuMeanPercent <= a.CpuMeanPercent
                && (b.P95Seconds < a.P95Seconds || b.CpuMeanPercent < a.CpuMeanPercent)))
            .OrderBy(r => r.CpuMeanPercent)];
    }

    private static double Excess(double? value, double target) => value is { } v && target > 0 ? Math.Max(0, v / target - 1) : 0;
}
