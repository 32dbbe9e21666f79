using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

public sealed class SupervisionCrashLoopTests
{
    [Fact]
    public async Task CrashLoop_StopsRestarting_ReportsWhy_AndTheGatewayStaysUp()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__ExtraArguments__0"] = "--no-such-flag"; // llama-server exits at once with its own error
        settings["LlamaServer__MaxCrashes"] = "2";
        settings["LlamaServer__RestartDelaySeconds"] = "0.2";
        await using var gateway = await GatewayProcess.StartAsync(settings, waitReady: false);

        var (status, ready) = await WaitUntilFailedAsync(gateway);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var reason = ready.GetProperty("reason").GetString()!;
        Assert.Contains("MaxCrashes", reason, StringComparison.Ordinal);
        Assert.Contains(ready.GetProperty("last_lines").EnumerateArray(),
            l => l.GetString()!.Contains("invalid argument: --no-such-flag", StringComparison.Ordinal));

        using var chat = await gateway.Http.PostAsync("/v1/chat/completions", JsonContent.Create(new
        {
            model = await gateway.ModelIdAsync(),
            messages = new[] { new { role = "user", content = "Say hello." } },
            max_tokens = 4,
        }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.NotNull(chat.Headers.RetryAfter);
        var error = (await chat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("server_error", error.GetProperty("type").GetString());

        await Task.Delay(TimeSpan.FromSeconds(1)); // long enough for several more restarts, were they still tried
        Assert.Equal(2, (await gateway.ReadyStateAsync()).GetProperty("starts").GetInt32());
        using var health = await gateway.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(gateway.HasExited);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> WaitUntilFailedAsync(GatewayProcess gateway)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await gateway.Http.GetAsync("/ready");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (body.GetProperty("status").GetString() == "failed")
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"/ready never said 'failed':\n{gateway.Output}");
    }
}
