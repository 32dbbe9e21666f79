namespace LlmGateway.Cli.Workloads;

/// <summary>A workload file read and checked: its requests in order and how they arrive.</summary>
public sealed record Workload(string Name, string Path, ArrivalPattern Arrival, IReadOnlyList<WorkloadRequest> Requests);
