using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LlmGateway.Tests.InProcess;

/// <summary>With API keys set, /admin wants one of them (Security:ProtectAdmin's default); /metrics stays open unless told.</summary>
[Collection(InProcessCollection.Name)]
public sealed class AdminKeyTests(AdminKeyTests.Gateway gateway) : IClassFixture<AdminKeyTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway(new() { ["Security:ApiKeys:0"] = ApiKey });

    public static TheoryData<string> AdminViews => new() { "/admin/slots", "/admin/llama-server/metrics", "/admin/cpu", "/admin/cpu/plan", "/admin/memory" };

    [Theory]
    [MemberData(nameof(AdminViews))]
    public async Task AdminView_WithoutAKey_Is401(string path)
    {
        using var response = await GetAsync(path, key: null);

        await AssertRefusedAsync(response, "Missing API key");
    }

    [Theory]
    [MemberData(nameof(AdminViews))]
    public async Task AdminView_WithAWrongKey_Is401(string path)
    {
        using var response = await GetAsync(path, key: "not-the-key");

        await AssertRefusedAsync(response, "Incorrect API key");
    }

    [Theory]
    [MemberData(nameof(AdminViews))]
    public async Task AdminView_WithTheApiKey_Is200(string path)
    {
        using var response = await GetAsync(path, InProcessGateway.ApiKey);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task AdminSlots_WithTheApiKey_AreLlamaServersOwn()
    {
        using var response = await GetAsync("/admin/slots", InProcessGateway.ApiKey);

        // Forwarded with llama-server's per-start key, which the fake checks: the client's key is not it.
        Assert.Equal("""[{"id":0,"is_processing":false}]""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null, "Missing API key")]
    [InlineData("not-the-key", "Incorrect API key")]
    public async Task CapChange_WithoutTheKey_Is401_AndChangesNothing(string? key, string message)
    {
        using var before = await GetAsync("/admin/cpu/plan", InProcessGateway.ApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/cpu/cap") { Content = JsonContent.Create(new { cap_percent = 5 }) };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await gateway.Http.SendAsync(request);

        await AssertRefusedAsync(response, message);
        using var after = await GetAsync("/admin/cpu/plan", InProcessGateway.ApiKey);
        Assert.Equal(await before.Content.ReadAsStringAsync(), await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_WithApiKeysSet_NeedNoKey_ByDefault()
    {
        using var response = await GetAsync("/metrics", key: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("llmgw_", await response.Content.ReadAsStringAsync());
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

    internal static async Task AssertRefusedAsync(HttpResponseMessage response, string message)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{(int)response.StatusCode}: {body}");
        var error = ApiErrorShape.Check(body, param: null, code: "invalid_api_key");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }
}
