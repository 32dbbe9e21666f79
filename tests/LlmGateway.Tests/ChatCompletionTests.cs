using System.ClientModel;
using OpenAI.Chat;

namespace LlmGateway.Tests;

public sealed class ChatCompletionTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private ChatClient Chat(string model = "synthetic-tiny-q8_0-random-weights") =>
        new(model, new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(fixture.Gateway));

    [Fact]
    public async Task NonStreaming_ReturnsAnAssistantMessageAndUsage()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Say hello.")], new ChatCompletionOptions { MaxOutputTokenCount = 8 });

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 8);
        Assert.True(completion.Usage.InputTokenCount > 0);
    }
}
