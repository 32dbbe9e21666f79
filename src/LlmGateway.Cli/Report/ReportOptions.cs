using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Report;

/// <summary>One report run: which gateway, which workload (and arrival, if the command line overrides the file's), what else to measure.</summary>
/// <param name="Sending">Told of each request as it is sent.</param>
/// <param name="Completed">Told of each request as it ends (llmgw tune stops a candidate that already broke a hard target).</param>
/// <param name="Settle">How long the gateway is left alone before the quiet period, after this run's own first requests
/// to it: a request to a path the gateway has not run much makes its runtime compile that path again, optimised, a
/// second or two later, at 5 to 13 % of the machine for a sample or two (measured), which is not idle cost.</param>
/// <param name="QuietMeasured">Told of the quiet period's samples once it ends, before the workload starts (a run stopped early keeps its idle figure).</param>
public sealed record ReportOptions(
    Uri Url,
    Workload Workload,
    ArrivalPattern Arrival,
    TimeSpan Idle,
    bool Foreground,
    Targets Targets,
    string? ApiKey = null,
    int Seed = 1,
    TimeSpan? RequestTimeout = null,
    IProgress<RequestResult>? Completed = null,
    IProgress<WorkloadRequest>? Sending = null,
    IProgress<IReadOnlyList<CpuSample>>? QuietMeasured = null,
    TimeSpan Settle = default);
