using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>
/// A long stream's usage and timings, which llama-server sends only in its last event, are found in the tail the gateway
/// keeps (Telemetry/UsageCapture.cs, ResponseUsage.ParseStreamTail) and counted in the token metrics.
/// </summary>
[Collection(InProcessCollection.Name)]
public sealed class StreamUsageTests(StreamUsageTests.Gateway gateway) : IClassFixture<StreamUsageTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway();

    /// <summary>About 160 bytes an event: some 640 KB, far past the 32 KiB the gateway holds before it keeps only the newest 16 KiB.</summary>
    private const int Tokens = 4000;
    private const int PromptTokens = 21;
    private const int CachedTokens = 5;

    [Theory]
    [InlineData(true)] // the client asked for usage (stream_options.include_usage, which the SDK sends): "usage" is counted
    [InlineData(false)] // only llama-server's "timings": prompt_n + cache_n and predicted_n are counted
    public async Task LongStream_UsageInItsLastEvent_IsCounted(bool withUsage)
    {
        var scenario = gateway.Upstream.Add(Replies.LongStream(Tokens, PromptTokens, CachedTokens, withUsage));
        var before = await gateway.ScrapeAsync();

        var pieces = 0;
        ChatTokenUsage? usage = null;
        await foreach (var update in gateway.Chat().CompleteChatStreamingAsync([new UserChatMessage(scenario.Prompt)]))
        {
            pieces += update.ContentUpdate.Count;
            usage = update.Usage ?? usage;
        }

        Assert.Equal(Tokens, pieces);
        Assert.Equal(withUsage ? Tokens : (int?)null, usage?.OutputTokenCount);
        double Delta(MetricsScrape m, string name) => m.Sum(name, ("endpoint", "chat_completions")) - before.Sum(name, ("endpoint", "chat_completions"));
        var after = await gateway.ScrapeUntilAsync(m => Delta(m, "llmgw_completion_tokens_total") > 0, "/metrics to count the stream's completion tokens");
        Assert.Equal(Tokens, Delta(after, "llmgw_completion_tokens_total"));
        Assert.Equal(PromptTokens, Delta(after, "llmgw_prompt_tokens_total"));
        Assert.Equal(CachedTokens, Delta(after, "llmgw_cached_prompt_tokens_total"));
        Assert.Equal(1, Delta(after, "llmgw_decode_duration_seconds_count"));
    }
}
