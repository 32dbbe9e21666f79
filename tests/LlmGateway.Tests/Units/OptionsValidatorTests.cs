using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Memory;
using LlmGateway.Supervision;

namespace LlmGateway.Tests.Units;

/// <summary>The options validators as plain classes: each bad setting is refused naming the setting and what it accepts, each edge accepted.</summary>
/// <remarks>StartupValidationTests checks a few of these through a started gateway; here every rule is checked, in microseconds.</remarks>
public sealed class OptionsValidatorTests
{
    private static readonly int Cores = CpuTopology.AvailableCpus().Count;

    private static readonly Dictionary<string, Func<CpuOptions>> BadCpu = new()
    {
        ["Profile 99"] = () => new() { Profile = (CpuProfile)99 },
        ["Mode 4"] = () => new() { Mode = (CpuMode)4 },
        ["Priority 7"] = () => new() { Priority = (CpuPriority)7 },
        ["Backend 42"] = () => new() { Backend = (CpuBackendKind)42 },
        ["BudgetPercent 0"] = () => new() { BudgetPercent = 0 },
        ["BudgetPercent 101"] = () => new() { BudgetPercent = 101 },
        ["Threads 0"] = () => new() { Threads = 0 },
        ["Threads cores + 1"] = () => new() { Threads = Cores + 1 },
        ["ThreadsBatch cores + 1"] = () => new() { ThreadsBatch = Cores + 1 },
        ["CapPercent 0.5"] = () => new() { CapPercent = 0.5 },
        ["CapPercent 100.5"] = () => new() { CapPercent = 100.5 },
        ["CapPeriodMicroseconds 999"] = () => new() { CapPeriodMicroseconds = 999 },
        ["CapPeriodMicroseconds 1000001"] = () => new() { CapPeriodMicroseconds = 1_000_001 },
        ["LatencyBudgetMilliseconds -2"] = () => new() { LatencyBudgetMilliseconds = -2 },
        ["LatencyBudgetMilliseconds 3600001"] = () => new() { LatencyBudgetMilliseconds = 3_600_001 },
        ["MemoryHighBytes 0"] = () => new() { MemoryHighBytes = 0 },
        ["MemoryMaxBytes -1"] = () => new() { MemoryMaxBytes = -1 },
        ["MemoryHighBytes above MemoryMaxBytes"] = () => new() { MemoryHighBytes = 2048, MemoryMaxBytes = 1024 },
        ["CgroupRoot blank"] = () => new() { CgroupRoot = " " },
        ["Cpus not a list"] = () => new() { Cpus = "one,two" },
        ["Cpus not ours"] = () => new() { Cpus = (Cores + 100).ToString(CultureInfo.InvariantCulture) },
    };

    private static readonly Dictionary<string, Func<LlamaServerOptions>> BadLlamaServer = new()
    {
        ["ContextSize 63"] = () => new() { ContextSize = 63 },
        ["Parallel 257"] = () => new() { Parallel = 257 },
        ["StartTimeoutSeconds 0"] = () => new() { StartTimeoutSeconds = 0 },
        ["StopTimeoutSeconds 601"] = () => new() { StopTimeoutSeconds = 601 },
        ["MaxCrashes 0"] = () => new() { MaxCrashes = 0 },
        ["CrashWindowSeconds 0"] = () => new() { CrashWindowSeconds = 0 },
        ["RestartDelaySeconds above the maximum"] = () => new() { RestartDelaySeconds = 40, MaxRestartDelaySeconds = 30 },
        ["RestartDelaySeconds -1"] = () => new() { RestartDelaySeconds = -1 },
        ["OutputLinesKept 0"] = () => new() { OutputLinesKept = 0 },
        ["ModelWatchIntervalSeconds 0"] = () => new() { ModelWatchIntervalSeconds = 0 },
        ["ExecutablePath missing"] = () => new() { ExecutablePath = "/nonexistent/llama-server" },
        ["ExtraArguments --model"] = () => new() { ExtraArguments = ["--model", "other.gguf"] },
        ["BatchSize 0"] = () => new() { BatchSize = 0 },
        ["MicroBatchSize -1"] = () => new() { MicroBatchSize = -1 },
        ["MicroBatchSize above BatchSize"] = () => new() { BatchSize = 64, MicroBatchSize = 128 },
        ["KvCacheType q3"] = () => new() { KvCacheType = "q3" },
        ["KvCacheType q8_0 with flash attention off"] = () => new() { KvCacheType = "q8_0", ExtraArguments = ["-fa", "off"] },
        ["ExtraArguments -ub"] = () => new() { ExtraArguments = ["-ub", "256"] },
        ["ExtraArguments --cache-type-v"] = () => new() { ExtraArguments = ["--cache-type-v", "q8_0"] },
        ["ExtraArguments --no-cache-prompt"] = () => new() { ExtraArguments = ["--no-cache-prompt"] },
    };

    [Theory]
    [InlineData("Profile 99", "Cpu:Profile must be Invisible, Balanced, Fast or Custom, not 99.")]
    [InlineData("Mode 4", "Cpu:Mode must be None, Cap, Yield or CapAndYield, not 4.")]
    [InlineData("Priority 7", "Cpu:Priority must be Normal or Idle, not 7.")]
    [InlineData("Backend 42", "Cpu:Backend must be Auto, CgroupV2, CgroupV1, Scheduler, WindowsJob, Cpulimit or None, not 42.")]
    [InlineData("BudgetPercent 0", "Cpu:BudgetPercent must be 1 to 100 (percent of the whole machine), not 0.")]
    [InlineData("BudgetPercent 101", "Cpu:BudgetPercent must be 1 to 100 (percent of the whole machine), not 101.")]
    [InlineData("Threads 0", "Cpu:Threads must be 1 to ")]
    [InlineData("Threads cores + 1", "(this machine's cores), not ")]
    [InlineData("ThreadsBatch cores + 1", "Cpu:ThreadsBatch must be 1 to ")]
    [InlineData("CapPercent 0.5", "Cpu:CapPercent must be 1 to 100 (percent of the whole machine), not 0.5.")]
    [InlineData("CapPercent 100.5", "Cpu:CapPercent must be 1 to 100")]
    [InlineData("CapPeriodMicroseconds 999", "Cpu:CapPeriodMicroseconds must be 1000 to 1000000, not 999.")]
    [InlineData("CapPeriodMicroseconds 1000001", "Cpu:CapPeriodMicroseconds must be 1000 to 1000000, not 1000001.")]
    [InlineData("LatencyBudgetMilliseconds -2", "Cpu:LatencyBudgetMilliseconds must be -1 (strict yield), 0 or a wait up to 3600000, not -2.")]
    [InlineData("LatencyBudgetMilliseconds 3600001", "Cpu:LatencyBudgetMilliseconds must be -1 (strict yield), 0 or a wait up to 3600000, not 3600001.")]
    [InlineData("MemoryHighBytes 0", "Cpu:MemoryHighBytes must be above 0, not 0.")]
    [InlineData("MemoryMaxBytes -1", "Cpu:MemoryMaxBytes must be above 0, not -1.")]
    [InlineData("MemoryHighBytes above MemoryMaxBytes", "Cpu:MemoryHighBytes (2048) must not be above MemoryMaxBytes (1024).")]
    [InlineData("CgroupRoot blank", "Cpu:CgroupRoot must be a directory, such as /sys/fs/cgroup.")]
    [InlineData("Cpus not a list", "Cpu:Cpus must be a CPU list such as 0-1,3, not 'one,two'.")]
    [InlineData("Cpus not ours", "Cpu:Cpus names CPUs this process may not use")]
    public void CpuOptions_BadSetting_IsRefused_NamingIt(string setting, string message)
    {
        var result = new CpuOptionsValidator().Validate(null, BadCpu[setting]());

        Assert.True(result.Failed, setting);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.Single(result.Failures!); // one bad setting, one message
    }

    [Fact]
    public void CpuOptions_DefaultsAndEdges_AreAccepted()
    {
        var validator = new CpuOptionsValidator();
        CpuOptions[] good =
        [
            new(),
            new() { Profile = CpuProfile.Custom, BudgetPercent = 1, Mode = CpuMode.None },
            new() { BudgetPercent = 100, Mode = CpuMode.CapAndYield, Priority = CpuPriority.Normal },
            new() { Threads = Cores, ThreadsBatch = 1, Cpus = CpuList.Format(CpuTopology.AvailableCpus()) },
            new() { CapPercent = 1, CapPeriodMicroseconds = 1000, LatencyBudgetMilliseconds = -1 },
            new() { CapPercent = 100, CapPeriodMicroseconds = 1_000_000, LatencyBudgetMilliseconds = 3_600_000 },
            new() { MemoryHighBytes = 1024, MemoryMaxBytes = 1024, Backend = CpuBackendKind.None },
        ];

        Assert.All(good, o => Assert.True(validator.Validate(null, o).Succeeded, validator.Validate(null, o).FailureMessage));
    }

    [Theory]
    [InlineData("ContextSize 63", "LlamaServer:ContextSize must be 64 to 1048576, not 63.")]
    [InlineData("Parallel 257", "LlamaServer:Parallel must be 1 to 256, not 257.")]
    [InlineData("StartTimeoutSeconds 0", "LlamaServer:StartTimeoutSeconds must be above 0 and at most 3600, not 0.")]
    [InlineData("StopTimeoutSeconds 601", "LlamaServer:StopTimeoutSeconds must be above 0 and at most 600, not 601.")]
    [InlineData("MaxCrashes 0", "LlamaServer:MaxCrashes must be at least 1, not 0.")]
    [InlineData("CrashWindowSeconds 0", "LlamaServer:CrashWindowSeconds must be above 0, not 0.")]
    [InlineData("RestartDelaySeconds above the maximum", "LlamaServer:RestartDelaySeconds must be 0 to MaxRestartDelaySeconds (30), not 40.")]
    [InlineData("RestartDelaySeconds -1", "LlamaServer:RestartDelaySeconds must be 0 to MaxRestartDelaySeconds (30), not -1.")]
    [InlineData("OutputLinesKept 0", "LlamaServer:OutputLinesKept must be 1 to 10000, not 0.")]
    [InlineData("ModelWatchIntervalSeconds 0", "LlamaServer:ModelWatchIntervalSeconds must be 0.1 to 3600, not 0.")]
    [InlineData("ExecutablePath missing", "LlamaServer:ExecutablePath '/nonexistent/llama-server' does not exist; leave it empty to use the pinned build.")]
    [InlineData("ExtraArguments --model", "LlamaServer:ExtraArguments must not set --model: the gateway owns it")]
    [InlineData("BatchSize 0", "LlamaServer:BatchSize must be 1 to 1048576, not 0; leave it empty for llama-server's default, 2048.")]
    [InlineData("MicroBatchSize -1", "LlamaServer:MicroBatchSize must be 1 to 1048576, not -1; leave it empty for llama-server's default, 512.")]
    [InlineData("MicroBatchSize above BatchSize", "LlamaServer:MicroBatchSize (128) must not be above LlamaServer:BatchSize (64)")]
    [InlineData("KvCacheType q3", "LlamaServer:KvCacheType must be one of f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1, not 'q3'")]
    [InlineData("KvCacheType q8_0 with flash attention off", "LlamaServer:KvCacheType q8_0 is quantised, and llama.cpp needs flash attention for a quantised V cache, which LlamaServer:ExtraArguments turns off")]
    [InlineData("ExtraArguments -ub", "LlamaServer:ExtraArguments must not set -ub: use LlamaServer:MicroBatchSize.")]
    [InlineData("ExtraArguments --cache-type-v", "LlamaServer:ExtraArguments must not set --cache-type-v: use LlamaServer:KvCacheType.")]
    [InlineData("ExtraArguments --no-cache-prompt", "LlamaServer:ExtraArguments must not set --no-cache-prompt: use LlamaServer:CachePrompt.")]
    public void LlamaServerOptions_BadSetting_IsRefused_NamingIt(string setting, string message)
    {
        var result = new LlamaServerOptionsValidator().Validate(null, BadLlamaServer[setting]());

        Assert.True(result.Failed, setting);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.Single(result.Failures!);
    }

    [Fact]
    public void LlamaServerOptions_DefaultsAndEdges_AreAccepted()
    {
        var validator = new LlamaServerOptionsValidator();
        LlamaServerOptions[] good =
        [
            new(),
            new() { ContextSize = 64, Parallel = 1, StartTimeoutSeconds = 3600, StopTimeoutSeconds = 600, MaxCrashes = 1 },
            new() { ContextSize = 1 << 20, Parallel = 256, RestartDelaySeconds = 0, OutputLinesKept = 10_000, LivenessIntervalSeconds = 0 },
            new() { RestartDelaySeconds = 30, MaxRestartDelaySeconds = 30, ModelWatchIntervalSeconds = 0.1, ExtraArguments = ["--pooling", "cls"] },
            new() { BatchSize = 1, MicroBatchSize = 1, KvCacheType = "f16", CachePrompt = false, ExtraArguments = ["-fa", "off"] },
            new() { BatchSize = 1 << 20, MicroBatchSize = 1 << 20, KvCacheType = "Q4_0", ExtraArguments = ["-fa", "on"] },
            new() { BatchSize = 64, KvCacheType = "iq4_nl" },
            new() { MicroBatchSize = 4096 }, // above llama-server's default batch, which then uses its batch as the micro-batch
        ];

        Assert.All(good, o => Assert.True(validator.Validate(null, o).Succeeded, validator.Validate(null, o).FailureMessage));
    }

    [Fact]
    public void MemoryOptions_DefaultsAndEdges_AreAccepted_OneByteLessIsNot()
    {
        var validator = new MemoryOptionsValidator();

        Assert.True(validator.Validate(null, new MemoryOptions()).Succeeded);
        Assert.True(validator.Validate(null, new MemoryOptions { BudgetBytes = MemoryOptionsValidator.MinBudgetBytes, ReserveBytes = 0, PromptCacheMiB = 0 }).Succeeded);
        Assert.True(validator.Validate(null, new MemoryOptions { PromptCacheMiB = 1 << 20 }).Succeeded);
        var tooSmall = validator.Validate(null, new MemoryOptions { BudgetBytes = MemoryOptionsValidator.MinBudgetBytes - 1, ReserveBytes = 0 });
        Assert.Equal(["Memory:BudgetBytes must be at least 67108864 (64 MiB), not 67108863; leave it empty for min(6 GiB, a quarter of RAM)."], tooSmall.Failures);
        var reserveAtBudget = validator.Validate(null, new MemoryOptions { BudgetBytes = 1L << 30, ReserveBytes = 1L << 30 });
        Assert.Contains("Memory:ReserveBytes must be 0 or more and below Memory:BudgetBytes (1073741824), not 1073741824.", reserveAtBudget.FailureMessage, StringComparison.Ordinal);
        var cacheTooBig = validator.Validate(null, new MemoryOptions { PromptCacheMiB = (1 << 20) + 1 });
        Assert.Contains("Memory:PromptCacheMiB must be 0 (off) to 1048576, not 1048577", cacheTooBig.FailureMessage, StringComparison.Ordinal);
    }
}
