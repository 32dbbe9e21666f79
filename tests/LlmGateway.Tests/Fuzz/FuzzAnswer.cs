namespace LlmGateway.Tests.Fuzz;

/// <summary>What came back: the status (0 when no answer came) and the body as text.</summary>
internal sealed record FuzzAnswer(int Status, string Body);
