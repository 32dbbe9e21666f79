namespace LlmGateway.Cli.Report;

/// <summary>llama-server's own account of one answer (the "timings" object of its last event).</summary>
/// <param name="CachedTokens">Prompt tokens reused from the prompt cache, not processed again.</param>
public sealed record LlamaTimings(long PromptTokens, double PromptMs, long PredictedTokens, double PredictedMs, long CachedTokens);
