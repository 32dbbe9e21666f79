using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Report;

/// <summary>One report run: which gateway, which workload (and arrival, if the command line overrides the file's), what else to measure.</summary>
public sealed record ReportOptions(
    Uri Url,
    Workload Workload,
    ArrivalPattern Arrival,
    TimeSpan Idle,
    bool Foreground,
    Targets Targets,
    string? ApiKey = null,
    int Seed = 1,
    TimeSpan? RequestTimeout = null);
