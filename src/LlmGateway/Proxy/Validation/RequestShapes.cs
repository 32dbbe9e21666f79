namespace LlmGateway.Proxy.Validation;

/// <summary>The body each checked endpoint accepts.</summary>
public static class RequestShapes
{
    public static ObjectShape For(OpenAiOperation operation) => operation switch
    {
        OpenAiOperation.ChatCompletions => ChatCompletionsShape.Body,
        OpenAiOperation.Completions => CompletionsShape.Body,
        OpenAiOperation.Embeddings => EmbeddingsShape.Body,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };
}
