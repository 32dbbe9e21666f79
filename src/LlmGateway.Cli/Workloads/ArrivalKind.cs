namespace LlmGateway.Cli.Workloads;

/// <summary>When the requests of a workload are sent.</summary>
public enum ArrivalKind
{
    /// <summary>One at a time: the next request is sent when the previous answer ended.</summary>
    Sequential,

    /// <summary>At a fixed rate, whether or not earlier answers ended.</summary>
    Fixed,

    /// <summary>At random times with exponential gaps (a Poisson process) at a mean rate: how independent events arrive.</summary>
    Poisson,
}
