using System.Text.Json;

namespace LlmGateway.Proxy.Validation;

/// <summary>A condition between fields of one object (top_logprobs needs logprobs), which no single field's shape can say.</summary>
/// <param name="Description">The rule in words, for the OpenAPI document.</param>
/// <param name="Check">Given the object and its path, the problem or null.</param>
public sealed record ObjectRule(string Description, Func<JsonElement, string, RequestProblem?> Check);
