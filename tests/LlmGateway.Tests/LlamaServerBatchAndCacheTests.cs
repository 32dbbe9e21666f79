using System.ClientModel;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>LlamaServer's batch, micro-batch, KV cache type and prompt cache settings on the real llama-server.</summary>
public sealed class LlamaServerBatchAndCacheTests
{
    [Fact]
    public async Task SmallBatches_QuantisedKvCache_NoPromptCache_StartAndAnswer_WithoutReusingThePrompt()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__BatchSize"] = "64";
        settings["LlamaServer__MicroBatchSize"] = "32";
        // Quantised V needs flash attention: llama-server's default (-fa auto) turns it on rather than failing to load.
        settings["LlamaServer__KvCacheType"] = "q8_0";
        settings["LlamaServer__CachePrompt"] = "false";
        await using var gateway = await GatewayProcess.StartAsync(settings);

        var argv = (await File.ReadAllTextAsync($"/proc/{await gateway.ChildPidAsync()}/cmdline")).Split('\0');
        Assert.Equal("64", argv[Array.IndexOf(argv, "--batch-size") + 1]);
        Assert.Equal("32", argv[Array.IndexOf(argv, "--ubatch-size") + 1]);
        Assert.Equal("q8_0", argv[Array.IndexOf(argv, "--cache-type-k") + 1]);
        Assert.Equal("q8_0", argv[Array.IndexOf(argv, "--cache-type-v") + 1]);
        Assert.Contains("--no-cache-prompt", argv);

        var chat = new ChatClient(await gateway.ModelIdAsync(), new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        // Longer than a micro-batch (32 tokens), so the prompt is computed in several passes.
        var prompt = "Tell me, in one long sentence, what a gateway in front of a language model server does, and why it limits its CPU use.";
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8 };
        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage(prompt)], options);
        ChatCompletion again = await chat.CompleteChatAsync([new UserChatMessage(prompt)], options);

        Assert.Equal(ChatMessageRole.Assistant, first.Role);
        Assert.InRange(first.Usage.OutputTokenCount, 1, 8);
        Assert.True(first.Usage.InputTokenCount > 32, $"{first.Usage.InputTokenCount} prompt tokens: not more than one micro-batch");
        // With prompt caching (llama-server's default) the same prompt again reuses the slot's cached prefix; without, none of it.
        Assert.Equal(0, again.Usage.InputTokenDetails?.CachedTokenCount ?? 0);
    }
}
