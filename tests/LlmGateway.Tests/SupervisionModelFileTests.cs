using System.Net;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>The model file deleted, or replaced by garbage, under a running gateway; then put back.</summary>
public sealed class SupervisionModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("llmgw-test-model-").FullName;

    private string ModelPath => Path.Combine(_directory, "model.gguf");

    [Fact]
    public async Task ModelDeletedWhileServing_ReadySaysSo_ServingGoesOn_UntilItIsBack()
    {
        await using var gateway = await StartAsync();
        var model = await gateway.ModelIdAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling };

        File.Move(ModelPath, ModelPath + ".away");
        var noted = await gateway.WaitForStateAsync(s => s.GetProperty("reason").GetString() is not null, "a reason while the file is away");

        Assert.Equal("ready", noted.GetProperty("status").GetString());
        Assert.Contains("was deleted after llama-server loaded it", noted.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(FaultOutcome.Complete, (await FaultClient.ChatAsync(http, model, stream: true, maxTokens: 8)).Outcome);
        Assert.Contains("was deleted after llama-server loaded it", gateway.Output, StringComparison.Ordinal);

        File.Move(ModelPath + ".away", ModelPath);
        await gateway.WaitForStateAsync(s => s.GetProperty("reason").ValueKind == JsonValueKind.Null, "the reason to clear once the file is back");
        Assert.Equal(1, (await gateway.ReadyStateAsync()).GetProperty("starts").GetInt32());
        Assert.False(gateway.HasExited);
    }

    [Fact]
    public async Task ModelReplacedByGarbage_CrashLoopStopsWithTheReason_ThenTheGoodFileBringsItBack()
    {
        await using var gateway = await StartAsync();
        var model = await gateway.ModelIdAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling };
        File.Move(ModelPath, ModelPath + ".good");
        await File.WriteAllBytesAsync(ModelPath, new byte[4096]); // not a GGUF file
        Assert.Equal(0, Posix.Kill(await gateway.ChildPidAsync(), Posix.SigKill)); // its next start loads the garbage

        var failed = await gateway.WaitForStateAsync(s => s.GetProperty("status").GetString() == "failed", "the crash loop to be declared");
        var reason = failed.GetProperty("reason").GetString()!;
        Assert.Contains($"the model file {ModelPath} is not usable", reason, StringComparison.Ordinal);
        Assert.Contains("LlamaServer:MaxCrashes", reason, StringComparison.Ordinal);
        Assert.Equal(1, await MetricAsync(gateway, "llmgw_child_crash_loop"));
        var starts = failed.GetProperty("starts").GetInt32();

        File.Move(ModelPath + ".good", ModelPath, overwrite: true);
        await gateway.WaitUntilReadyAsync();

        var ready = await gateway.ReadyStateAsync();
        Assert.Equal(starts + 1, ready.GetProperty("starts").GetInt32());
        Assert.Equal(0, await MetricAsync(gateway, "llmgw_child_crash_loop"));
        Assert.Equal(1, await MetricAsync(gateway, "llmgw_child_up"));
        Assert.Equal(FaultOutcome.Complete, (await FaultClient.ChatAsync(http, model, stream: false, maxTokens: 8)).Outcome);
        Assert.False(gateway.HasExited);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<GatewayProcess> StartAsync()
    {
        File.Copy(TestEnvironment.TinyModel, ModelPath);
        var settings = GatewayProcess.DefaultSettings();
        settings["Model__Path"] = ModelPath;
        settings["LlamaServer__MaxCrashes"] = "2";
        settings["LlamaServer__RestartDelaySeconds"] = "0.2";
        settings["LlamaServer__LivenessIntervalSeconds"] = "0.3";
        settings["LlamaServer__ModelWatchIntervalSeconds"] = "0.2";
        return await GatewayProcess.StartAsync(settings);
    }

    /// <summary>The value of an unlabelled gauge (beside the exporter's own labels) on /metrics.</summary>
    private static async Task<double> MetricAsync(GatewayProcess gateway, string name)
    {
        using var response = await gateway.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = (await response.Content.ReadAsStringAsync()).Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        var sample = line.Contains('{', StringComparison.Ordinal) ? line[(line.LastIndexOf('}') + 1)..].Trim() : line[name.Length..].Trim();
        return double.Parse(sample.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); // a timestamp may follow
    }
}
