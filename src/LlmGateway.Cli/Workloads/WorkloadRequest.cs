using System.Text.Json.Nodes;

namespace LlmGateway.Cli.Workloads;

/// <summary>One line of a workload: the chat request to send (without the workload's own keys) and what a correct answer is.</summary>
/// <param name="Line">The line number in the file, from 1.</param>
public sealed record WorkloadRequest(int Line, string Id, JsonObject Body, Expectation? Expected);
