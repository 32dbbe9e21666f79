namespace LlmGateway.Proxy.Validation;

/// <summary>A named member of an object shape.</summary>
public sealed record Field(string Name, Shape Shape, bool Required = false);
