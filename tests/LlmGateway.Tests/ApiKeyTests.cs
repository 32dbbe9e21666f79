using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OpenAI.Chat;
using OpenAI.Models;

namespace LlmGateway.Tests;

/// <summary>The gateway started with Security:ApiKeys: the API wants the key, /health does not.</summary>
[Collection(ApiGateways.Name)]
public sealed class ApiKeyTests(ApiGateways gateways)
{
    [Fact]
    public async Task WrongKey_Is401InvalidApiKey()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            gateways.Chat(gateways.Main, key: "not-the-secret").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "invalid_api_key");

        using var http = gateways.AnonymousHttp();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-secret");
        using var response = await http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        ApiErrorShape.Check(await response.Content.ReadAsStringAsync(), null, "invalid_api_key");
    }

    [Fact]
    public async Task MissingKey_Is401InvalidApiKey()
    {
        var options = ApiGateways.Options(gateways.Main);
        options.AddPolicy(new NoAuthorizationHeader(), PipelinePosition.BeforeTransport);
        var models = new OpenAIModelClient(new ApiKeyCredential(ApiGateways.ApiKey), options); // the right key, never sent
        var e = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelsAsync());
        Assert.Equal(401, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "invalid_api_key");

        using var http = gateways.AnonymousHttp();
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        ApiErrorShape.Check(await response.Content.ReadAsStringAsync(), null, "invalid_api_key");
    }

    [Fact]
    public async Task RightKey_IsAnswered()
    {
        ChatCompletion completion = await gateways.Chat(gateways.Main, key: ApiGateways.ApiKey)
            .CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });

        Assert.InRange(completion.Usage.OutputTokenCount, 1, 2);
    }

    [Fact]
    public async Task Health_NeedsNoKey()
    {
        using var http = gateways.AnonymousHttp();

        using var health = await http.GetAsync("/health");
        using var models = await http.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode); // the same client, refused where a key is needed
    }

    /// <summary>Removes the Authorization header the SDK always adds, as a client with no key configured would send.</summary>
    private sealed class NoAuthorizationHeader : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
