using System.Globalization;

namespace LlmGateway.Cli.Tune;

/// <summary>One point of the search: a model file and the gateway settings it is served with.</summary>
/// <param name="Mode">Cpu:Mode: Cap, CapAndYield, Yield or None.</param>
/// <param name="BatchSize">LlamaServer:BatchSize; null: not set (llama-server's default).</param>
/// <param name="MicroBatchSize">LlamaServer:MicroBatchSize; null: not set.</param>
/// <param name="KvCacheType">LlamaServer:KvCacheType; null: not set (f16).</param>
/// <param name="CachePrompt">LlamaServer:CachePrompt; null: not set (on).</param>
/// <param name="Backend">Cpu:Backend; null: not set (Auto).</param>
/// <remarks>
/// The settings after <paramref name="Parallel"/> default to null, so a results file written before they existed reads
/// back as the same candidates with the same keys.
/// </remarks>
public sealed record Candidate(
    string Model,
    int BudgetPercent,
    string Mode,
    int Threads,
    int ThreadsBatch,
    int CapPeriodMicroseconds,
    int ContextSize,
    int Parallel,
    int? BatchSize = null,
    int? MicroBatchSize = null,
    string? KvCacheType = null,
    bool? CachePrompt = null,
    string? Backend = null)
{
    /// <summary>
    /// A stable text naming every setting: the results file's key for resuming. A setting left to its default adds
    /// nothing, so the keys of earlier results files stay as they were.
    /// </summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{Path.GetFileName(Model)}|budget={BudgetPercent}|mode={Mode}|t={Threads}|tb={ThreadsBatch}|period={CapPeriodMicroseconds}|ctx={ContextSize}|par={Parallel}")
        + (BatchSize is { } b ? $"|b={Invariant(b)}" : "")
        + (MicroBatchSize is { } ub ? $"|ub={Invariant(ub)}" : "")
        + (KvCacheType is { } kv ? $"|kv={kv}" : "")
        + (CachePrompt is { } cp ? $"|cp={(cp ? "true" : "false")}" : "")
        + (Backend is { } backend ? $"|backend={backend}" : "");

    /// <summary>Whether the gateway would accept the combination: a micro-batch is part of a batch (LlamaServer:MicroBatchSize &lt;= BatchSize).</summary>
    public bool IsValid => MicroBatchSize is null || BatchSize is null || MicroBatchSize <= BatchSize;

    /// <summary>The gateway's settings for this candidate, as environment variables (Section__Key), which the gateway reads.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings()
    {
        List<KeyValuePair<string, string>> settings =
        [
            new("Model__Path", Model),
            // Custom: the budget and mode below say it all, no profile's defaults mixed in.
            new("Cpu__Profile", "Custom"),
            new("Cpu__BudgetPercent", Invariant(BudgetPercent)),
            new("Cpu__Mode", Mode),
            new("Cpu__Threads", Invariant(Threads)),
            new("Cpu__ThreadsBatch", Invariant(ThreadsBatch)),
            new("Cpu__CapPeriodMicroseconds", Invariant(CapPeriodMicroseconds)),
            new("LlamaServer__ContextSize", Invariant(ContextSize)),
            new("LlamaServer__Parallel", Invariant(Parallel)),
        ];

        // Only what is set: the others stay the gateway's defaults (or what --set gave every candidate).
        if (BatchSize is { } b)
        {
            settings.Add(new("LlamaServer__BatchSize", Invariant(b)));
        }

        if (MicroBatchSize is { } ub)
        {
            settings.Add(new("LlamaServer__MicroBatchSize", Invariant(ub)));
        }

        if (KvCacheType is { } kv)
        {
            settings.Add(new("LlamaServer__KvCacheType", kv));
        }

        if (CachePrompt is { } cp)
        {
            settings.Add(new("LlamaServer__CachePrompt", cp ? "true" : "false"));
        }

        if (Backend is { } backend)
        {
            settings.Add(new("Cpu__Backend", backend));
        }

        return settings;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
