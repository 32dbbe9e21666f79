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
}
