using System.Diagnostics;
using System.Text;
using OpenAI.Chat;

namespace LlmGateway.Tests;

[Collection(ApiGateways.Name)]
public sealed class ApiStreamingTests(ApiGateways gateways)
{
    [Fact]
    public async Task Stream_TokensArriveSpreadOverTheGeneration_NotAllAtTheEnd()
    {
        const int Tokens = 200;
        var chat = gateways.Chat(gateways.Main);
        var clock = Stopwatch.StartNew();
        TimeSpan? firstContent = null;
        var lastContent = TimeSpan.Zero;
        var contentUpdates = 0;
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a long story.")], ApiGateways.ExactLength(Tokens)))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            if (update.ContentUpdate.Count > 0)
            {
                firstContent ??= clock.Elapsed;
                lastContent = clock.Elapsed;
                contentUpdates++;
            }

            usage ??= update.Usage; // the SDK asks for stream_options.include_usage; the last chunk carries it
        }

        var total = clock.Elapsed;
        Assert.NotNull(firstContent);
        Assert.True(contentUpdates >= Tokens / 2, $"Only {contentUpdates} content updates for {Tokens} tokens.");
        // Streamed: the tokens arrive spread over the generation. Buffered: all at once at the end. Prefill time
        // (long on a loaded CI host) is left out, since it comes before any token either way.
        var spread = lastContent - firstContent.Value;
        Assert.True(spread > TimeSpan.FromMilliseconds(100) && spread > (total - firstContent.Value) * 0.5,
            $"Content came from {firstContent.Value.TotalSeconds:F3} s to {lastContent.TotalSeconds:F3} s of {total.TotalSeconds:F3} s: the answer was not streamed.");
        Assert.NotEqual(0, text.Length);
        Assert.NotNull(usage);
        Assert.Equal(Tokens, usage.OutputTokenCount);
        Assert.True(usage.InputTokenCount > 0);
    }
}
