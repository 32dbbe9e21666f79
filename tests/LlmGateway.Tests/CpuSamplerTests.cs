using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>/admin/cpu follows what llama-server really does: near nothing when idle, most of the machine while generating.</summary>
public sealed class CpuSamplerTests
{
    [Fact]
    public async Task ChildCpu_IsLowWhenIdle_AndHighWhileGenerating()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["CpuSampler__WindowSeconds"] = "2";
        await using var gateway = await GatewayProcess.StartAsync(settings);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var idle = await CpuAsync(gateway);

        using var generating = new CancellationTokenSource();
        var body = JsonContent.Create(new { messages = new[] { new { role = "user", content = "Count." } }, max_tokens = 3000, ignore_eos = true });
        var request = gateway.Http.PostAsync("/v1/chat/completions", body, generating.Token);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var busy = await CpuAsync(gateway);
        await generating.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        Assert.Equal(await gateway.ChildPidAsync(), busy.GetProperty("child_pid").GetInt32());
        Assert.True(idle.GetProperty("child_percent").GetProperty("samples").GetInt32() >= 15, idle.ToString());
        Assert.True(idle.GetProperty("child_percent").GetProperty("p99").GetDouble() < 10, $"idle: {idle}");
        Assert.True(busy.GetProperty("child_percent").GetProperty("p50").GetDouble() > 30, $"generating: {busy}");
        Assert.True(busy.GetProperty("system_percent").GetProperty("mean").GetDouble() >= busy.GetProperty("child_percent").GetProperty("mean").GetDouble() - 15, busy.ToString());
        Assert.True(busy.GetProperty("child_rss_bytes").GetInt64() > 10_000_000, busy.ToString());
    }

    private static async Task<JsonElement> CpuAsync(GatewayProcess gateway) =>
        await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu");
}
