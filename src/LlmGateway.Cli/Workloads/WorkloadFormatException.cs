namespace LlmGateway.Cli.Workloads;

/// <summary>A workload file is not valid; the message names the file, the line and what is wrong.</summary>
public sealed class WorkloadFormatException(string message) : Exception(message);
