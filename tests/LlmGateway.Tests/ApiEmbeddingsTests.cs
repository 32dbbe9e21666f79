using System.ClientModel;
using OpenAI.Embeddings;

namespace LlmGateway.Tests;

/// <summary>/v1/embeddings with LlamaServer:Embeddings off, on with llama-server's default pooling, and on with mean pooling.</summary>
[Collection(ApiGateways.Name)]
public sealed class ApiEmbeddingsTests(ApiGateways gateways)
{
    private EmbeddingClient Embeddings(GatewayProcess gateway) => new(gateways.ModelId, new ApiKeyCredential(ApiGateways.ApiKey), ApiGateways.Options(gateway));

    [Fact]
    public async Task EmbeddingsOff_IsA400NamingTheSetting()
    {
        // Not a 501: SDKs retry every 5xx as a server fault, and no retry turns embeddings on.
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Embeddings(gateways.NoQueue).GenerateEmbeddingAsync("hello"));

        Assert.Equal(400, e.Status);
        var error = ApiErrorShape.Check(ApiErrorShape.Body(e), null, "unsupported");
        Assert.Contains("LlamaServer:Embeddings", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task EmbeddingsOn_WithNoPoolingChosen_UsesMeanPoolingAndWorks()
    {
        // The gateway adds --pooling mean: llama-server refuses OpenAI embeddings from a model with no pooling.
        OpenAIEmbedding embedding = await Embeddings(gateways.ShortQueue).GenerateEmbeddingAsync("hello");

        Assert.True(embedding.ToFloats().Length >= 8);
        Assert.All(embedding.ToFloats().ToArray(), x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public async Task EmbeddingsOn_WithMeanPooling_ReturnsOneVectorPerInput()
    {
        OpenAIEmbeddingCollection embeddings = await Embeddings(gateways.Main).GenerateEmbeddingsAsync(["hello", "a different text"]);

        Assert.Equal([0, 1], embeddings.Select(e => e.Index));
        var first = embeddings[0].ToFloats().ToArray();
        var second = embeddings[1].ToFloats().ToArray();
        Assert.True(first.Length >= 8, $"A {first.Length}-dimensional embedding.");
        Assert.Equal(first.Length, second.Length);
        Assert.All(first.Concat(second), x => Assert.True(float.IsFinite(x)));
        Assert.NotEqual(first, second);
        Assert.True(embeddings.Usage.InputTokenCount > 0);
    }
}
