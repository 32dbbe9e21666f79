namespace LlmGateway.Cli.Report;

/// <summary>The result of one report run: the figures against their targets, and every request's result.</summary>
/// <param name="CpuSource">Where the CPU and RSS figures come from.</param>
public sealed record Scorecard(
    string Workload,
    string Url,
    string Model,
    string Arrival,
    DateTimeOffset StartedUtc,
    int Requests,
    int Succeeded,
    int Failed,
    string CpuSource,
    IReadOnlyList<ScoreLine> Lines,
    IReadOnlyList<RequestResult> Results,
    IReadOnlyList<CpuSample> ActiveSamples)
{
    /// <summary>Every figure that has a target meets it, and every request succeeded.</summary>
    public bool MeetsTargets => Failed == 0 && Lines.All(l => l.Pass != false);
}
