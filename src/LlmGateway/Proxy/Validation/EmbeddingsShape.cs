namespace LlmGateway.Proxy.Validation;

/// <summary>The body of POST /v1/embeddings, after the OpenAI API reference.</summary>
internal static class EmbeddingsShape
{
    /// <summary>OpenAI refuses empty input and more than 2048 inputs per request.</summary>
    public static readonly OneOfShape Input = new(
        new StringShape(MinLength: 1),
        new ArrayShape(new StringShape(MinLength: 1), MinItems: 1, MaxItems: 2048),
        new ArrayShape(new IntegerShape(0), MinItems: 1),
        new ArrayShape(new ArrayShape(new IntegerShape(0), MinItems: 1), MinItems: 1, MaxItems: 2048));

    public static readonly ObjectShape Body = new(
        new Field("input", Input, Required: true),
        new Field("model", new StringShape()),
        new Field("encoding_format", new EnumShape("float", "base64")),
        new Field("dimensions", new IntegerShape(1)),
        new Field("user", new StringShape()));
}
