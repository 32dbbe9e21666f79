using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>The legacy /v1/completions, which the OpenAI .NET SDK no longer has a client for: plain HttpClient.</summary>
[Collection(ApiGateways.Name)]
public sealed class ApiCompletionsTests(ApiGateways gateways)
{
    [Fact]
    public async Task Completion_ReturnsTextAndUsage()
    {
        using var response = await gateways.Main.Http.PostAsJsonAsync("/v1/completions", new { model = gateways.ModelId, prompt = "Once upon a time", max_tokens = 8 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var completion = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        Assert.Equal(JsonValueKind.String, completion.GetProperty("choices")[0].GetProperty("text").ValueKind);
        Assert.InRange(completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 8);
    }

    [Fact]
    public async Task Completion_Streamed_IsServerSentEventsEndingInDone()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = gateways.ModelId, prompt = "Once upon a time", max_tokens = 8, stream = true }),
        };
        using var response = await gateways.Main.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("data: ", StringComparison.Ordinal))
            .Select(line => line["data: ".Length..])
            .ToList();
        Assert.Equal("[DONE]", events[^1]);
        Assert.True(events.Count >= 2, $"{events.Count} events.");
        Assert.All(events[..^1], e => Assert.Equal("text_completion", JsonDocument.Parse(e).RootElement.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task Completion_WithoutPrompt_Is400NamingIt()
    {
        using var response = await gateways.Main.Http.PostAsync("/v1/completions", new StringContent($$"""{"model":"{{gateways.ModelId}}"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        ApiErrorShape.Check(await response.Content.ReadAsStringAsync(), "prompt", "missing_required_parameter");
    }
}
