using LlmGateway.Tests;

namespace LlmGateway.Gguf.Tests;

public sealed class ModelInfoTests
{
    [Theory]
    [InlineData(15u, "Q4_K_M")]
    [InlineData(0u, "F32")]
    [InlineData(7u, "Q8_0")]
    [InlineData(18u, "Q6_K")]
    [InlineData(32u, "BF16")]
    public void From_FileType_NamesTheLlamaCppQuantization(uint fileType, string expected)
    {
        var file = GgufBytes.RoundTrip(Model().Add("general.file_type", GgufValue.UInt32(fileType)).AddFilledTensor("w", GgmlType.F16, [8]));

        Assert.Equal(expected, GgufModelInfo.From(file).Quantization);
    }

    [Fact]
    public void From_NoFileType_NamesTheTypeHoldingMostOfTheWeights()
    {
        // Three small F32 norms outnumber the one Q4_K matrix, which still holds most of the weights.
        var file = GgufBytes.RoundTrip(WithMixedTensors(Model()));

        Assert.Equal("Q4_K", GgufModelInfo.From(file).Quantization);
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(1024u)]
    public void From_FileTypeLlamaCppDoesNotName_FallsBackToTheDominantTensorType(uint fileType)
    {
        var file = GgufBytes.RoundTrip(WithMixedTensors(Model().Add("general.file_type", GgufValue.UInt32(fileType))));

        Assert.Equal("Q4_K", GgufModelInfo.From(file).Quantization);
    }

    [Fact]
    public void From_NoFileTypeAndNoTensors_ReportsUnknownQuantization()
    {
        Assert.Equal("unknown", GgufModelInfo.From(GgufBytes.RoundTrip(Model())).Quantization);
    }

    [Fact]
    public void From_Tensors_CountsEveryElementAsAParameter()
    {
        var file = GgufBytes.RoundTrip(WithMixedTensors(Model()));

        Assert.Equal(3UL * 32 + 256 * 4, GgufModelInfo.From(file).ParameterCount);
    }

    [Theory]
    [InlineData("{{ messages }}", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void From_ChatTemplate_HasChatTemplateOnlyWhenNonEmpty(string? template, bool expected)
    {
        var writer = Model();
        if (template is not null)
        {
            writer.Add("tokenizer.chat_template", GgufValue.String(template));
        }

        Assert.Equal(expected, GgufModelInfo.From(GgufBytes.RoundTrip(writer)).HasChatTemplate);
    }

    [Fact]
    public void From_ArchitectureKeys_ReportsNameSizesAndFileSize()
    {
        var bytes = GgufBytes.Write(Model()
            .Add("general.name", GgufValue.String("Tiny Llama"))
            .Add("llama.context_length", GgufValue.UInt32(4096))
            .Add("llama.embedding_length", GgufValue.UInt64(2048))
            .Add("llama.block_count", GgufValue.Int32(22)));

        var info = GgufModelInfo.From(GgufBytes.Read(bytes));

        Assert.Equal(
            new GgufModelInfo("llama", "Tiny Llama", 4096, 2048, 22, "unknown", 0, bytes.Length, false),
            info);
    }

    [Fact]
    public void From_NoArchitecture_Throws()
    {
        var file = GgufBytes.RoundTrip(new GgufWriter().Add("general.name", GgufValue.String("x")));

        var e = Assert.Throws<GgufFormatException>(() => GgufModelInfo.From(file));

        Assert.Contains("general.architecture is missing", e.Message);
    }

    [Fact]
    public void From_Qwen2Vocab_DescribesQwen2()
    {
        var info = GgufModelInfo.From(GgufReader.Read(TestEnvironment.QwenVocab));

        Assert.Equal(
            new GgufModelInfo("qwen2", "qwen2", 32768, 4096, 32, "F16", 0, new FileInfo(TestEnvironment.QwenVocab).Length, true),
            info);
    }

    private static GgufWriter Model() => new GgufWriter().Add("general.architecture", GgufValue.String("llama"));

    private static GgufWriter WithMixedTensors(GgufWriter writer) => writer
        .AddFilledTensor("blk.0.attn_norm.weight", GgmlType.F32, [32])
        .AddFilledTensor("blk.0.ffn_norm.weight", GgmlType.F32, [32])
        .AddFilledTensor("output_norm.weight", GgmlType.F32, [32])
        .AddFilledTensor("blk.0.attn_q.weight", GgmlType.Q4_K, [256, 4]);
}
