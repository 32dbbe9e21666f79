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

        var ready = await gateway.WaitForStateAsync(s => s.GetProperty("status").GetString() == "failed", "/ready to say 'failed'");
        using (var response = await gateway.Http.GetAsync("/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

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

        // An absence can only be watched for a while: 1 s is five restart delays. A busy host makes the watch weaker
        // (fewer restarts would fit), never wrong.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await gateway.ReadyStateAsync()).GetProperty("starts").GetInt32());
        using var health = await gateway.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(gateway.HasExited);
    }
}
