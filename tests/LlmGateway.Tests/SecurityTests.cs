using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using LlmGateway.Security;
using LlmGateway.Supervision;

namespace LlmGateway.Tests;

/// <summary>Who may reach what: llama-server's socket, /v1, /admin and /metrics.</summary>
public sealed class SecurityTests(SecurityTests.Gateways gateways) : IClassFixture<SecurityTests.Gateways>
{
    private const string Key = "secret";
    private const string ScrapeKey = "scrape";

    [Fact]
    public async Task ChildSocket_WithoutTheGatewaysPerStartKey_Is401FromLlamaServer()
    {
        // Where the supervisor puts it: a 0700 directory named after the gateway's PID.
        var socket = Directory.EnumerateDirectories(Path.GetTempPath(), $"llmgw-{gateways.Protected.Pid}-*")
            .Select(d => Path.Combine(d, "llama.sock")).Single(File.Exists);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://llama-server/") };

        using var noKey = await http.GetAsync("/v1/models");
        using var wrongKey = await SendAsync(http, "/v1/models", "not-the-key");
        using var gatewayKey = await SendAsync(http, "/v1/models", Key); // the gateway's clients' key is not llama-server's
        using var perStartKey = await SendAsync(http, "/v1/models", await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(socket)!, "api-key")));

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, gatewayKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, perStartKey.StatusCode); // the socket is llama-server's, and the key works there
    }

    [Fact]
    public async Task Admin_WithApiKeysSet_WantsTheKey_ByDefault()
    {
        using var http = new HttpClient { BaseAddress = gateways.Protected.BaseUri };

        using var none = await http.GetAsync("/admin/cpu");
        using var wrong = await SendAsync(http, "/admin/cpu", "not-the-key");
        using var right = await SendAsync(http, "/admin/cpu", Key);
        using var cap = await http.PutAsync("/admin/cpu/cap", new StringContent("""{"cap_percent":50}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, cap.StatusCode);
        ApiErrorShape.Check(await none.Content.ReadAsStringAsync(), null, "invalid_api_key");
    }

    [Fact]
    public async Task Metrics_AreOpenByDefault_WhileV1WantsTheKey()
    {
        using var http = new HttpClient { BaseAddress = gateways.Protected.BaseUri };

        using var metrics = await http.GetAsync("/metrics");
        using var models = await http.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
    }

    [Fact]
    public async Task Metrics_WithMetricsKeys_WantAKey_WhichOpensNothingElse()
    {
        using var http = new HttpClient { BaseAddress = gateways.Scraped.BaseUri };

        using var none = await http.GetAsync("/metrics");
        using var scrape = await SendAsync(http, "/metrics", ScrapeKey);
        using var apiKey = await SendAsync(http, "/metrics", Key);
        using var scrapeOnV1 = await SendAsync(http, "/v1/models", ScrapeKey);
        using var admin = await http.GetAsync("/admin/cpu"); // Security:ProtectAdmin=false there

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        ApiErrorShape.Check(await none.Content.ReadAsStringAsync(), null, "invalid_api_key");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("llmgw_child_up", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, apiKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, scrapeOnV1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Theory]
    [InlineData("secret", true)]
    [InlineData("other-key-of-another-length", true)]
    [InlineData("secre", false)]
    [InlineData("secret ", false)]
    [InlineData("secretsecret", false)]
    [InlineData("", false)]
    public void KeyRing_AcceptsExactlyItsKeys_WhateverTheirLengths(string given, bool accepted) =>
        Assert.Equal(accepted, new KeyRing(["secret", "other-key-of-another-length"]).Contains(given));

    [Theory]
    [InlineData(true, false, false, "Security:ProtectAdmin=true needs Security:ApiKeys")]
    [InlineData(null, true, false, "Security:MetricsRequireKey=true needs Security:ApiKeys or Security:MetricsKeys")]
    [InlineData(null, false, true, "Security:MetricsKeys must not contain empty keys")]
    public void SecurityValidator_RefusesProtectionWithNoKeyToAskFor(bool? protectAdmin, bool metricsRequireKey, bool emptyMetricsKey, string message)
    {
        var options = new ApiKeyOptions { ProtectAdmin = protectAdmin, MetricsRequireKey = metricsRequireKey, MetricsKeys = emptyMetricsKey ? [" "] : [] };

        var result = new SecurityOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new SecurityOptionsValidator().Validate(null, new ApiKeyOptions { ApiKeys = ["k"], ProtectAdmin = true, MetricsRequireKey = true }).Succeeded);
    }

    [Theory]
    [InlineData(-1, 30, "LlamaServer:LivenessIntervalSeconds must be 0 (off) to 3600")]
    [InlineData(5, 0, "LlamaServer:LivenessTimeoutSeconds must be 0.1 to 3600")]
    public void LivenessSettings_OutOfRange_AreRefusedNamingTheSetting(double interval, double timeout, string message)
    {
        var result = new LlamaServerOptionsValidator().Validate(null, new LlamaServerOptions { LivenessIntervalSeconds = interval, LivenessTimeoutSeconds = timeout });

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http.SendAsync(request);
    }

    /// <summary>Protected: an API key and the defaults. Scraped: an API key, a metrics-only key, /admin left open.</summary>
    public sealed class Gateways : IAsyncLifetime
    {
        public GatewayProcess Protected { get; private set; } = null!;

        public GatewayProcess Scraped { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var protectedSettings = GatewayProcess.DefaultSettings();
            protectedSettings["Security__ApiKeys__0"] = Key;
            var scraped = GatewayProcess.DefaultSettings();
            scraped["Security__ApiKeys__0"] = Key;
            scraped["Security__MetricsKeys__0"] = ScrapeKey;
            scraped["Security__ProtectAdmin"] = "false";
            Protected = await GatewayProcess.StartAsync(protectedSettings, waitReady: false);
            Scraped = await GatewayProcess.StartAsync(scraped, waitReady: false);
            await Protected.WaitUntilReadyAsync();
            await Scraped.WaitUntilReadyAsync();
        }

        public async Task DisposeAsync()
        {
            await Protected.DisposeAsync();
            await Scraped.DisposeAsync();
        }
    }
}
