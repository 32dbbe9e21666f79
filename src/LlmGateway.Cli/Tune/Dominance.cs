namespace LlmGateway.Cli.Tune;

/// <summary>
/// When a measured candidate makes running another pointless, from the settings' monotone effects. Two candidates are
/// comparable when they share model, mode, cap period, context size, parallel slots and the llama-server and backend
/// settings (batch and micro-batch size, KV cache type, prompt caching, CPU backend: none of these has an effect these
/// rules could lean on in one direction); then A "uses no more" than B
/// when A's budget, threads and threads-batch are each at most B's.
/// <list type="bullet">
/// <item>Latency only gets worse with less: a comparable candidate with the same threads and threads-batch and a smaller
/// or equal budget than one that already missed the p95 target (or was stopped for latency) is skipped; less CPU time
/// under the same cap cannot answer sooner. Threads are not part of this rule: more threads than the budget's cores spin
/// at ggml's barrier and can be slower (the research).</item>
/// <item>CPU only grows with more: a comparable candidate using no less budget, threads and threads-batch than one that
/// already missed a CPU target (active mean or p99) is skipped: a larger cap and more threads never use less CPU.</item>
/// </list>
/// Failures to start (a bad combination) and requests that failed rule nothing out.
/// </summary>
public static class Dominance
{
    /// <summary>The measured result that rules <paramref name="c"/> out and why, or null.</summary>
    public static (CandidateResult By, string Reason)? DominatedBy(Candidate c, IEnumerable<CandidateResult> measured)
    {
        foreach (var r in measured)
        {
            var m = r.Candidate;
            if (m == c || !Comparable(m, c))
            {
                continue;
            }

            if (r.MissesLatency && c.Threads == m.Threads && c.ThreadsBatch == m.ThreadsBatch && c.BudgetPercent <= m.BudgetPercent)
            {
                return (r, "no more budget than one that missed the p95 target");
            }

            if (r.MissesCpu && c.BudgetPercent >= m.BudgetPercent && c.Threads >= m.Threads && c.ThreadsBatch >= m.ThreadsBatch)
            {
                return (r, "no less budget and threads than one that missed a CPU target");
            }
        }

        return null;
    }

    private static bool Comparable(Candidate a, Candidate b) =>
        a.Model == b.Model && a.Mode == b.Mode && a.CapPeriodMicroseconds == b.CapPeriodMicroseconds
        && a.ContextSize == b.ContextSize && a.Parallel == b.Parallel
        && a.BatchSize == b.BatchSize && a.MicroBatchSize == b.MicroBatchSize && a.KvCacheType == b.KvCacheType
        && a.CachePrompt == b.CachePrompt && a.Backend == b.Backend;
}
