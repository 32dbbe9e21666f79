using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>/admin/cpu follows what llama-server really does, checked against the kernel's own count in /proc/PID/stat.</summary>
/// <remarks>
/// The test host runs other tests at the same time, so how much CPU llama-server gets varies; the sampler must
/// agree with the kernel's count over the same two seconds, whatever that count is.
/// </remarks>
public sealed class CpuSamplerTests
{
    [Fact]
    public async Task ChildCpu_AgreesWithTheKernelsCount_IdleAndWhileGenerating()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["CpuSampler__WindowSeconds"] = "2";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var pid = await gateway.ChildPidAsync();

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var idle = await CpuAsync(gateway);

        using var generating = new CancellationTokenSource();
        var body = JsonContent.Create(new { messages = new[] { new { role = "user", content = "Count." } }, max_tokens = 1900, ignore_eos = true });
        var request = gateway.Http.PostAsync("/v1/chat/completions", body, generating.Token);
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        var (before, since) = (ProcStat.CpuSeconds(pid), DateTime.UtcNow);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var busy = await CpuAsync(gateway);
        var kernelPercent = 100 * (ProcStat.CpuSeconds(pid) - before) / (DateTime.UtcNow - since).TotalSeconds / Environment.ProcessorCount;
        await generating.CancelAsync();
        try
        {
            using var answer = await request; // a fast machine may finish before the cancel: then it must have succeeded
            answer.EnsureSuccessStatusCode();
        }
        catch (OperationCanceledException)
        {
        }


        var sampled = busy.GetProperty("child_percent");
        Assert.Equal(pid, busy.GetProperty("child_pid").GetInt32());
        Assert.True(idle.GetProperty("child_percent").GetProperty("samples").GetInt32() >= 15, idle.ToString());
        Assert.True(idle.GetProperty("child_percent").GetProperty("p99").GetDouble() < 10, $"idle: {idle}");
        Assert.True(kernelPercent > 5, $"llama-server hardly ran while generating ({kernelPercent:F1}%), so nothing is measured");
        Assert.InRange(sampled.GetProperty("mean").GetDouble(), kernelPercent * 0.7 - 5, kernelPercent * 1.3 + 5);
        Assert.True(sampled.GetProperty("max").GetDouble() >= sampled.GetProperty("p50").GetDouble(), busy.ToString());
        Assert.True(busy.GetProperty("system_percent").GetProperty("mean").GetDouble() >= sampled.GetProperty("mean").GetDouble() - 15, busy.ToString());
        Assert.True(busy.GetProperty("child_rss_bytes").GetInt64() > 10_000_000, busy.ToString());
    }

    private static async Task<JsonElement> CpuAsync(GatewayProcess gateway) =>
        await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu");
}
