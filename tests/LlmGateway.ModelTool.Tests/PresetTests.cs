using LlmGateway.Gguf;

namespace LlmGateway.ModelTool.Tests;

public sealed class PresetTests
{
    private const int QwenVocab = 151936;

    // Parameter counts published for the Qwen2.5 releases; equal counts mean equal tensor shapes.
    [Theory]
    [InlineData("qwen2.5-0.5b", 494_032_768UL)]
    [InlineData("qwen2.5-1.5b", 1_543_714_304UL)]
    public void Preset_HasTheParameterCountOfTheRealModel(string preset, ulong expected)
    {
        var shape = ModelPreset.Find(preset)!.Shape;

        var total = TensorPlan.For(shape, QwenVocab, GgmlType.F16).Aggregate(0UL, (n, t) => n + t.Shape.Aggregate(1UL, (a, d) => a * d));

        Assert.Equal(expected, total);
    }

    [Fact]
    public void Qwen05Preset_HasTheDocumentedDimensions()
    {
        var shape = ModelPreset.Find("qwen2.5-0.5b")!.Shape;

        Assert.Equal(("qwen2", 896, 24, 4864, 14, 2), (shape.Architecture, shape.Embedding, shape.Layers, shape.FeedForward, shape.Heads, shape.KvHeads));
        Assert.Equal("Q4_K_M", ModelPreset.Find("qwen2.5-0.5b")!.Quantization);
    }

    [Theory]
    [InlineData("gpt2", 64, 4, 2, "architecture 'gpt2'")]
    [InlineData("qwen2", 100, 3, 1, "not a multiple of heads")]
    [InlineData("qwen2", 96, 4, 3, "not a multiple of kv-heads")]
    [InlineData("qwen2", 0, 4, 2, "must be positive")]
    public void Shape_WithImpossibleDimensions_NamesTheProblem(string arch, int embedding, int heads, int kvHeads, string problem)
    {
        var shape = new ModelShape(arch, embedding, Layers: 1, FeedForward: 64, heads, kvHeads, ContextLength: 128, TiedEmbeddings: true);

        Assert.Contains(problem, shape.Problem());
    }

    [Fact]
    public void LlamaArchitecture_HasNoAttentionBiases_AndQwen2Has()
    {
        var llama = new ModelShape("llama", 64, 1, 128, 4, 2, 128, TiedEmbeddings: false);

        Assert.DoesNotContain(TensorPlan.For(llama, 100, GgmlType.F16), t => t.Name.EndsWith(".bias", StringComparison.Ordinal));
        Assert.Contains(TensorPlan.For(llama, 100, GgmlType.F16), t => t.Name == "output.weight");
        Assert.Equal(3, TensorPlan.For(llama with { Architecture = "qwen2" }, 100, GgmlType.F16).Count(t => t.Name.EndsWith(".bias", StringComparison.Ordinal)));
    }
}
