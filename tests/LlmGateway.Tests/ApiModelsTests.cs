using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI.Chat;
using OpenAI.Models;

namespace LlmGateway.Tests;

[Collection(ApiGateways.Name)]
public sealed class ApiModelsTests(ApiGateways gateways)
{
    private OpenAIModelClient Models => new(new ApiKeyCredential(ApiGateways.ApiKey), ApiGateways.Options(gateways.Main));

    [Fact]
    public async Task List_NamesTheModelAndEveryAlias_OwnedByTheGateway()
    {
        OpenAIModelCollection models = await Models.GetModelsAsync();

        Assert.Equal([gateways.ModelId, ApiGateways.Alias, ApiGateways.SlashedAlias], models.Select(m => m.Id));
        Assert.All(models, m => Assert.Equal("llmgateway", m.OwnedBy));
        Assert.All(models, m => Assert.True(m.CreatedAt > DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task List_IsSnakeCaseJson_WithWhatTheGgufSays()
    {
        var list = await gateways.Main.Http.GetFromJsonAsync<JsonElement>("/v1/models");

        Assert.Equal("list", list.GetProperty("object").GetString());
        var card = list.GetProperty("data")[0];
        Assert.Equal("model", card.GetProperty("object").GetString());
        Assert.Equal("llmgateway", card.GetProperty("owned_by").GetString());
        Assert.False(card.TryGetProperty("ownedBy", out _));
        var meta = card.GetProperty("meta");
        Assert.Equal("qwen2", meta.GetProperty("architecture").GetString());
        Assert.Equal("Q8_0", meta.GetProperty("quantization").GetString());
        Assert.True(meta.GetProperty("synthetic").GetBoolean());
        Assert.True(meta.GetProperty("size_bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Get_AnswersForTheModelAndEachAlias_EvenOneWithASlash()
    {
        foreach (var id in new[] { gateways.ModelId, ApiGateways.Alias, ApiGateways.SlashedAlias })
        {
            OpenAIModel model = await Models.GetModelAsync(id); // the SDK sends a '/' as %2F
            Assert.Equal(id, model.Id);
        }

        // Clients that do not escape the id (curl, older SDKs) send the '/' as it is.
        using var response = await gateways.Main.Http.GetAsync($"/v1/models/{ApiGateways.SlashedAlias}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ApiGateways.SlashedAlias, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Get_UnknownModel_Is404WithAnOpenAiError()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Models.GetModelAsync("no-such-model"));

        Assert.Equal(404, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), "model", "model_not_found");
    }

    [Fact]
    public async Task Chat_AcceptsTheAliasAsModel()
    {
        ChatCompletion completion = await gateways.Chat(gateways.Main, ApiGateways.Alias)
            .CompleteChatAsync([new UserChatMessage("Say hello.")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 4);
    }
}
