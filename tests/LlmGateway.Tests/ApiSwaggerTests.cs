using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

[Collection(ApiGateways.Name)]
public sealed class ApiSwaggerTests(ApiGateways gateways)
{
    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        using var response = await gateways.Main.Http.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheApiAndReadiness()
    {
        var document = await gateways.Main.Http.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/chat/completions", paths);
        Assert.Contains("/v1/models", paths);
        Assert.Contains("/ready", paths);
        Assert.True(document.GetProperty("paths").GetProperty("/v1/chat/completions").TryGetProperty("post", out _));
    }

    [Theory]
    [InlineData("/v1/chat/completions", "messages")]
    [InlineData("/v1/completions", "prompt")]
    [InlineData("/v1/embeddings", "input")]
    public async Task OpenApiDocument_DescribesEachRequestBody_AsTheGatewayChecksIt(string path, string required)
    {
        var document = await gateways.Main.Http.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");

        var schema = document.GetProperty("paths").GetProperty(path).GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Contains(required, schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        if (path != "/v1/embeddings")
        {
            var temperature = schema.GetProperty("properties").GetProperty("temperature");
            Assert.Equal((0, 2), (temperature.GetProperty("minimum").GetDouble(), temperature.GetProperty("maximum").GetDouble()));
        }
    }
}
