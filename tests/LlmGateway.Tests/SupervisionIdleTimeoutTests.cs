using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

public sealed class SupervisionIdleTimeoutTests
{
    [Fact]
    public async Task NonStreaming_LlamaServerSilentPastIdleTimeout_Gets504_AndGenerationStops()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Proxy__IdleTimeoutSeconds"] = "0.3";
        settings["LlamaServer__ContextSize"] = "4096";
        await using var gateway = await GatewayProcess.StartAsync(settings);

        // A non-streamed answer says nothing until it is complete. Prefill alone is too quick on the tiny model
        // (1750 tokens in about 0.05 s), but 4000 tokens take about 9 s (about 440 tokens/s at best on this machine).
        var prompt = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"word{i}"));
        var body = JsonContent.Create(new
        {
            model = await gateway.ModelIdAsync(),
            messages = new[] { new { role = "user", content = prompt } },
            max_tokens = 4000,
        });
        var clock = Stopwatch.StartNew();
        using var response = await gateway.Http.PostAsync("/v1/chat/completions", body);
        var answeredAfter = clock.Elapsed;
        var busyAtTimeout = await gateway.BusySlotsAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        Assert.Contains("0.3 s (Proxy:IdleTimeoutSeconds)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.InRange(answeredAfter, TimeSpan.FromSeconds(0.29), TimeSpan.FromSeconds(2));
        Assert.Equal(1, busyAtTimeout); // llama-server really was still silent and working

        // The gateway closed its connection, so llama-server cancels the generation. For a non-streamed
        // answer it notices only after a second without other results; each /slots request is such a
        // result, so poll more slowly than that.
        var idle = false;
        while (!idle && clock.Elapsed - answeredAfter < TimeSpan.FromSeconds(4))
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            idle = await gateway.BusySlotsAsync() == 0;
        }

        Assert.True(idle, $"llama-server still generated {(clock.Elapsed - answeredAfter).TotalSeconds:F1} s after the 504.");
    }
}
