namespace LlmGateway.Cli.Report;

/// <summary>How one workload request went, as the client saw it, with llama-server's timings when the answer carried them.</summary>
/// <param name="StartSeconds">When it was sent, from the start of the workload.</param>
/// <param name="LatencySeconds">From sending to the end of the stream.</param>
/// <param name="TtftSeconds">From sending to the first content token.</param>
/// <param name="Correct">Whether the answer met the line's "expected"; null when the line has none or the request failed.</param>
public sealed record RequestResult(
    string Id,
    int Line,
    bool Ok,
    string? Error,
    double StartSeconds,
    double LatencySeconds,
    double? TtftSeconds,
    long? PromptTokens,
    long? CompletionTokens,
    LlamaTimings? Timings,
    bool? Correct,
    string Answer);
