using System.Globalization;

namespace LlmGateway.Cli.Tune;

/// <summary>One point of the search: a model file and the gateway settings it is served with.</summary>
/// <param name="Mode">Cpu:Mode: Cap, CapAndYield, Yield or None.</param>
public sealed record Candidate(
    string Model,
    int BudgetPercent,
    string Mode,
    int Threads,
    int ThreadsBatch,
    int CapPeriodMicroseconds,
    int ContextSize,
    int Parallel)
{
    /// <summary>A stable text naming every setting: the results file's key for resuming.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{Path.GetFileName(Model)}|budget={BudgetPercent}|mode={Mode}|t={Threads}|tb={ThreadsBatch}|period={CapPeriodMicroseconds}|ctx={ContextSize}|par={Parallel}");

    /// <summary>The gateway's settings for this candidate, as environment variables (Section__Key), which the gateway reads.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings() =>
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

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
