namespace LlmGateway.Tests.Fuzz;

/// <summary>A chat completion through the SDK's typed API, with option values inside and just outside OpenAI's ranges.</summary>
internal sealed record TypedCall(
    float Temperature, float TopP, int MaxTokens, float FrequencyPenalty, float PresencePenalty, int Stops, bool LogProbs, int? TopLogProbs, bool Stream, string Prompt);
