using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests;

[Collection(ApiGateways.Name)]
public sealed class ApiStreamingTests(ApiGateways gateways)
{
    [Fact]
    public async Task Stream_FirstTokensReachTheClient_WhileLlamaServerStillGenerates()
    {
        const int Tokens = 1000;
        var chat = gateways.Chat(gateways.Main);
        JsonElement? slotAtFirstContent = null;
        var contentUpdates = 0;
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a long story.")], ApiGateways.ExactLength(Tokens)))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            if (update.ContentUpdate.Count > 0 && contentUpdates++ == 0)
            {
                // Streamed: the first tokens are here while the answer is still being generated. Buffered: they would
                // come only with the whole answer, once llama-server's slot had finished it.
                slotAtFirstContent = await OnlySlotAsync();
            }

            usage ??= update.Usage; // the SDK asks for stream_options.include_usage; the last chunk carries it
        }

        Assert.NotNull(slotAtFirstContent);
        var slot = slotAtFirstContent.Value;
        var decoded = slot.GetProperty("next_token")[0].GetProperty("n_decoded").GetInt32();
        Assert.True(slot.GetProperty("is_processing").GetBoolean() && decoded < Tokens,
            $"At the client's first token llama-server had finished the answer ({decoded} of {Tokens} tokens): it was not streamed. {slot}");
        Assert.True(contentUpdates >= Tokens / 2, $"Only {contentUpdates} content updates for {Tokens} tokens.");
        Assert.NotEqual(0, text.Length);
        Assert.NotNull(usage);
        Assert.Equal(Tokens, usage.OutputTokenCount);
        Assert.True(usage.InputTokenCount > 0);
    }

    /// <summary>The Main gateway's only slot, as llama-server's /slots describes it (GET /admin/slots).</summary>
    private async Task<JsonElement> OnlySlotAsync() =>
        Assert.Single((await gateways.Main.Http.GetFromJsonAsync<JsonElement>("/admin/slots")).EnumerateArray());
}
