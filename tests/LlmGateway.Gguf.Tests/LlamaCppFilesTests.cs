using LlmGateway.Tests;

namespace LlmGateway.Gguf.Tests;

public sealed class LlamaCppFilesTests
{
    public static TheoryData<string> VocabFiles() => LlamaCppVocabFiles.Names();

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void Read_VocabFileWrittenByLlamaCpp_HasArchitectureAndTokens(string name)
    {
        var path = LlamaCppVocabFiles.PathOf(name);

        var file = GgufReader.Read(path);

        Assert.InRange(file.Version, 2u, 3u);
        Assert.False(string.IsNullOrEmpty(file.GetString("general.architecture")));
        var tokens = TokenArray(file, "tokenizer.ggml.tokens");
        Assert.Equal(GgufValueType.String, tokens.ElementType);
        Assert.NotEqual(0, tokens.Count);
        if (file.TryGetValue("tokenizer.ggml.token_type", out _))
        {
            Assert.Equal(tokens.Count, TokenArray(file, "tokenizer.ggml.token_type").Count);
        }

        Assert.Empty(file.Tensors);
        Assert.Equal(new FileInfo(path).Length, file.FileLength);
    }

    [Fact]
    public void Read_Qwen2Vocab_HasQwen2Gpt2TokenizerAndChatMLTemplate()
    {
        var file = GgufReader.Read(TestEnvironment.QwenVocab);

        Assert.Equal("qwen2", file.GetString("general.architecture"));
        Assert.Equal("gpt2", file.GetString("tokenizer.ggml.model"));
        Assert.Equal("qwen2", file.GetString("tokenizer.ggml.pre"));
        var tokens = (string[])TokenArray(file, "tokenizer.ggml.tokens").Items;
        Assert.Equal(151936, tokens.Length);
        Assert.Equal(151643UL, file.GetUInt64("tokenizer.ggml.eos_token_id"));
        Assert.Equal("<|endoftext|>", tokens[151643]);
        Assert.Equal("<|im_start|>", tokens[151644]);
        Assert.Equal(GgufValueType.Int32, TokenArray(file, "tokenizer.ggml.token_type").ElementType);
        Assert.Contains("<|im_start|>", file.GetString("tokenizer.chat_template"));
    }

    private static GgufArray TokenArray(GgufFile file, string key)
    {
        Assert.True(file.TryGetValue(key, out var value), $"{key} is missing.");
        return Assert.IsType<GgufArray>(value.Value);
    }
}
