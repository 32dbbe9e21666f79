using System.Net;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests;

/// <summary>A bad setting or model stops start-up with exit code 2 and a message naming what to fix.</summary>
public sealed partial class StartupValidationTests
{
    private const string CannotStart = "llmgateway: cannot start:";

    [Theory]
    [InlineData("LlamaServer__Parallel", "0", "LlamaServer:Parallel must be 1 to 256")]
    [InlineData("Cpu__Threads", "999", "Cpu:Threads must be 1 to")]
    [InlineData("Cpu__ThreadsBatch", "0", "Cpu:ThreadsBatch must be 1 to")]
    [InlineData("Cpu__BudgetPercent", "0", "Cpu:BudgetPercent must be 1 to 100")]
    [InlineData("Cpu__BudgetPercent", "150", "Cpu:BudgetPercent must be 1 to 100")]
    [InlineData("Cpu__Cpus", "0-999", "Cpu:Cpus names CPUs this process may not use")]
    [InlineData("Cpu__Backend", "Quantum", "Cpu:Backend must be one of Auto, CgroupV2, CgroupV1, Scheduler, WindowsJob, Cpulimit, None, not 'Quantum'")]
    [InlineData("Cpu__Profile", "Stealthy", "Cpu:Profile must be one of Invisible, Balanced, Fast, Custom, not 'Stealthy'")]
    [InlineData("Cpu__CapPercent", "half", "Cpu:CapPercent must be a number, not 'half'")]
    [InlineData("LlamaServer__ExtraArguments__0", "--threads-batch", "LlamaServer:ExtraArguments must not set --threads-batch")]
    [InlineData("Proxy__IdleTimeoutSeconds", "-1", "Proxy:IdleTimeoutSeconds must be above 0")]
    [InlineData("LlamaServer__ExtraArguments__0", "--port", "LlamaServer:ExtraArguments must not set --port")]
    [InlineData("LlamaServer__KvCacheType", "q3", "LlamaServer:KvCacheType must be one of f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1, not 'q3'")]
    [InlineData("Model__Path", "", "Model:Path is not set")]
    [InlineData("CpuSampler__IntervalMilliseconds", "5", "CpuSampler:IntervalMilliseconds must be 10 to 10000")]
    [InlineData("CpuSampler__IdleIntervalMilliseconds", "70000", "CpuSampler:IdleIntervalMilliseconds must be 10 to 60000")]
    [InlineData("Cpu__LatencyBudgetMilliseconds", "-5", "Cpu:LatencyBudgetMilliseconds must be -1 (strict yield), 0 or a wait up to 3600000")]
    public async Task BadSetting_StopsStartUp_NamingTheSetting(string key, string value, string message)
    {
        var settings = GatewayProcess.DefaultSettings();
        settings[key] = value;
        settings["Model__DemoPath"] = ""; // no fallback model when Model:Path is empty

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{CannotStart} {message}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelPathToAMissingFile_StopsStartUp_NamingTheFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"llmgw-missing-{Guid.NewGuid():N}.gguf");
        var settings = GatewayProcess.DefaultSettings();
        settings["Model__Path"] = missing;

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{CannotStart} {missing}: not a usable GGUF file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelFileThatIsNotGguf_StopsStartUp_NamingTheFile()
    {
        var text = Path.Combine(Path.GetTempPath(), $"llmgw-not-gguf-{Guid.NewGuid():N}.gguf");
        await File.WriteAllTextAsync(text, "This is a text file, not a model.\n");
        try
        {
            var settings = GatewayProcess.DefaultSettings();
            settings["Model__Path"] = text;

            var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

            Assert.Equal(2, exitCode);
            Assert.Contains($"{CannotStart} {text}: not a usable GGUF file", output, StringComparison.Ordinal);
            Assert.Contains("does not start with \"GGUF\"", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(text);
        }
    }

    [Fact]
    public async Task KestrelEndpointBeyondLoopbackWithoutApiKey_StopsStartUp()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Kestrel__Endpoints__Open__Url"] = "http://0.0.0.0:0";

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains("http://0.0.0.0:0 with no API key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListeningBeyondLoopbackWithoutApiKey_StopsStartUp_NamingSecurityApiKeys()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["ASPNETCORE_URLS"] = "http://0.0.0.0:0";

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{CannotStart} The gateway would listen on http://0.0.0.0:0 with no API key. Set Security:ApiKeys", output, StringComparison.Ordinal);
        Assert.Contains("Security:AllowRemoteWithoutKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListeningBeyondLoopbackWithoutApiKey_StartsWhenExplicitlyAllowed()
    {
        var settings = GatewayProcess.DefaultSettings();
        // The loopback address too, so GatewayProcess finds a port; the test only ever calls 127.0.0.1.
        settings["ASPNETCORE_URLS"] = "http://0.0.0.0:0;http://127.0.0.1:0";
        settings["Security__AllowRemoteWithoutKey"] = "true";
        await using var gateway = await GatewayProcess.StartAsync(settings, waitReady: false);

        var anyAddress = await Eventually.UntilAsync(() => AnyAddressListening().Match(gateway.Output), m => m.Success, "the gateway to listen on 0.0.0.0");
        using var health = await gateway.Http.GetAsync(new Uri($"http://127.0.0.1:{anyAddress.Groups[1].Value}/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [GeneratedRegex(@"Now listening on: http://0\.0\.0\.0:(\d+)")]
    private static partial Regex AnyAddressListening();
}
