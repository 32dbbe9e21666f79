using System.Net;
using System.Net.Http.Headers;

namespace LlmGateway.Tests.InProcess;

/// <summary>Security:MetricsKeys: /metrics wants a scrape key or an API key, and a scrape key opens nothing else.</summary>
[Collection(InProcessCollection.Name)]
public sealed class MetricsKeyTests(MetricsKeyTests.Gateway gateway) : IClassFixture<MetricsKeyTests.Gateway>
{
    public const string ScrapeKey = "scrape-only-key";

    public sealed class Gateway() : InProcessGateway(new() { ["Security:ApiKeys:0"] = ApiKey, ["Security:MetricsKeys:0"] = ScrapeKey });

    [Theory]
    [InlineData(null, "Missing API key")]
    [InlineData("not-a-key", "Incorrect API key")]
    public async Task Metrics_WithoutOneOfItsKeys_Is401(string? key, string message)
    {
        using var response = await GetAsync("/metrics", key);

        await AdminKeyTests.AssertRefusedAsync(response, message);
    }

    [Theory]
    [InlineData(ScrapeKey)]
    [InlineData(InProcessGateway.ApiKey)]
    public async Task Metrics_WithAScrapeKeyOrAnApiKey_Is200(string key)
    {
        using var response = await GetAsync("/metrics", key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("llmgw_", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ScrapeKey_DoesNotOpenTheApi()
    {
        var e = await SdkCalls.RefusedAsync(gateway.Chat(key: ScrapeKey), "Hello?");

        SdkCalls.Check(e, 401, "invalid_request_error", "invalid_api_key");
    }

    [Fact]
    public async Task ScrapeKey_DoesNotOpenAdmin()
    {
        using var response = await GetAsync("/admin/cpu", ScrapeKey);

        await AdminKeyTests.AssertRefusedAsync(response, "Incorrect API key");
    }

    private Task<HttpResponseMessage> GetAsync(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return gateway.Http.SendAsync(request);
    }
}
