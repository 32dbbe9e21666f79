using System.Security.Cryptography;
using LlmGateway.Gguf;
using LlmGateway.Tests;

namespace LlmGateway.ModelTool.Tests;

public sealed class SyntheticModelTests : IDisposable
{
    private static readonly ModelShape Small = new("qwen2", Embedding: 64, Layers: 2, FeedForward: 128, Heads: 4, KvHeads: 2, ContextLength: 512, TiedEmbeddings: true);
    private readonly string _dir = Directory.CreateTempSubdirectory("llmgw-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SameSeed_WritesTheSameBytes_AndAnotherSeedDoesNot()
    {
        var vocab = GgufReader.Read(TestEnvironment.QwenVocab);

        var first = Write(vocab, seed: 7, "a.gguf");
        var second = Write(vocab, seed: 7, "b.gguf");
        var other = Write(vocab, seed: 8, "c.gguf");

        Assert.Equal(Hash(first), Hash(second));
        Assert.NotEqual(Hash(first), Hash(other));
    }

    [Fact]
    public void Model_CarriesTheRealTokenizerAndChatTemplate_AndSaysItIsSynthetic()
    {
        var vocab = GgufReader.Read(TestEnvironment.QwenVocab);

        var model = GgufReader.Read(Write(vocab, seed: 1, "m.gguf"));

        foreach (var (key, value) in vocab.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
        {
            Assert.True(model.TryGetValue(key, out var copied), key);
            Assert.Equal(value.Type, copied.Type);
        }

        Assert.Contains("<|im_start|>", model.GetString("tokenizer.chat_template"));
        Assert.True(model.TryGetValue(SyntheticModel.SyntheticKey, out var synthetic) && synthetic.Value is true);
        Assert.Equal(64UL, model.GetUInt64("qwen2.embedding_length"));
        var embedding = model.Tensors.Single(t => t.Name == "token_embd.weight");
        var tokens = (GgufArray)vocab.Metadata.Single(kv => kv.Key == "tokenizer.ggml.tokens").Value.Value;
        Assert.Equal([64UL, (ulong)tokens.Count], embedding.Shape);
    }

    [Fact]
    public async Task Quantizing_WithLlamaQuantize_IsDeterministic()
    {
        var vocab = GgufReader.Read(TestEnvironment.QwenVocab);
        var source = Write(vocab, seed: 3, "f16.gguf");
        var quantizer = new Quantizer(TestEnvironment.LlamaQuantize);

        await quantizer.QuantizeAsync(source, Path.Combine(_dir, "q1.gguf"), "Q8_0", CancellationToken.None);
        await quantizer.QuantizeAsync(source, Path.Combine(_dir, "q2.gguf"), "Q8_0", CancellationToken.None);

        Assert.Equal(Hash(Path.Combine(_dir, "q1.gguf")), Hash(Path.Combine(_dir, "q2.gguf")));
        var quantized = GgufReader.Read(Path.Combine(_dir, "q1.gguf"));
        Assert.Equal("Q8_0", GgufModelInfo.From(quantized).Quantization);
        Assert.Equal(GgmlType.Q8_0, quantized.Tensors.Single(t => t.Name == "blk.0.ffn_up.weight").Type);
    }

    [Fact]
    public async Task Quantizing_ToAnUnknownType_FailsWithLlamaQuantizesMessage()
    {
        var vocab = GgufReader.Read(TestEnvironment.QwenVocab);
        var source = Write(vocab, seed: 3, "f16.gguf");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new Quantizer(TestEnvironment.LlamaQuantize).QuantizeAsync(source, Path.Combine(_dir, "bad.gguf"), "Q9_Z", CancellationToken.None));

        Assert.Contains("Q9_Z", error.Message);
    }

    private string Write(GgufFile vocab, ulong seed, string name)
    {
        var path = Path.Combine(_dir, name);
        SyntheticModel.Write(path, Small, "test", seed, vocab);
        return path;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
