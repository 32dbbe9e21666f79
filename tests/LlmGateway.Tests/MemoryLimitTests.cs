using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests;

/// <summary>
/// The memory budget on a real llama-server: the prompt cache it is started with, and on this machine's cgroup v1
/// memory hierarchy (root, writable) the limits of its group, read from the child's command line and the kernel's files.
/// </summary>
public sealed partial class MemoryLimitTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public async Task Budget_StartsTheChildWithTheDerivedCacheRam_AndAdminMemoryReportsIt()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Memory__BudgetBytes"] = (700 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var pid = await gateway.ChildPidAsync();

        // 700 MiB less the 512 MiB reserve, the model file, and the tiny model's KV cache: 2048 cells of 512 bytes.
        var expected = (700 * MiB - 512 * MiB - new FileInfo(TestEnvironment.TinyModel).Length - 2048 * 512) / MiB;
        Assert.Contains($" --cache-ram {expected} ", ProcStat.CommandLine(pid) + " ", StringComparison.Ordinal);

        var report = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/memory");
        var budget = report.GetProperty("budget");
        Assert.Equal((expected, 700 * MiB, 2048 * 512L), (budget.GetProperty("prompt_cache_mib").GetInt64(),
            budget.GetProperty("budget_bytes").GetInt64(), budget.GetProperty("kv_cache_bytes").GetInt64()));
        Assert.True(report.GetProperty("child_rss_bytes").GetInt64() >= 0, report.ToString());

        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(expected * MiB, Gauge(metrics, "llmgw_child_prompt_cache_limit_bytes"));
        Assert.Equal(700 * MiB, Gauge(metrics, "llmgw_memory_budget_bytes"));
        Assert.Contains("Memory plan: budget 700 MiB (Memory:BudgetBytes)", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CgroupV1_MemoryLimits_PutTheChildInAMemoryGroup_HoldingThem_RemovedWithTheGateway()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Cpu__Backend"] = "CgroupV1";
        settings["Cpu__MemoryHighBytes"] = (384 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Cpu__MemoryMaxBytes"] = (512 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var pid = await gateway.ChildPidAsync();

        // Inside the gateway's own memory group (here a container's), so any limit on the gateway bounds the child too.
        var group = ProcStat.Cgroup(pid, "memory");
        Assert.Equal($"{ProcStat.Cgroup(gateway.Pid, "memory").TrimEnd('/')}/llmgw-{gateway.Pid}", group);
        Assert.Equal(512 * MiB, long.Parse(Read(group, "memory.limit_in_bytes"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(384 * MiB, long.Parse(Read(group, "memory.soft_limit_in_bytes"), System.Globalization.CultureInfo.InvariantCulture));

        var report = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/memory");
        Assert.Equal((384 * MiB, 512 * MiB), (report.GetProperty("child_soft_limit_bytes").GetInt64(), report.GetProperty("child_hard_limit_bytes").GetInt64()));
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(512 * MiB, Gauge(metrics, "llmgw_child_memory_limit_bytes", "limit=\"hard\""));
        Assert.Equal(384 * MiB, Gauge(metrics, "llmgw_child_memory_limit_bytes", "limit=\"soft\""));

        await gateway.DisposeAsync();
        Assert.False(Directory.Exists(Path.Combine("/sys/fs/cgroup/memory", group.TrimStart('/'))), "the gateway left its memory group behind");
    }

    [Fact]
    public async Task BadBudget_StopsStartUp_NamingTheSetting()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Memory__BudgetBytes"] = "1000";

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains("Memory:BudgetBytes must be at least 67108864", output, StringComparison.Ordinal);
    }

    private static string Read(string group, string file) =>
        File.ReadAllText(Path.Combine("/sys/fs/cgroup/memory", group.TrimStart('/'), file)).Trim();

    private static double Gauge(string metrics, string name, string? label = null)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && (label is null || l.Contains(label, StringComparison.Ordinal)))
            ?? throw new Xunit.Sdk.XunitException($"no {name} {label} in /metrics");
        return double.Parse(Value().Match(line).Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\S+$")]
    private static partial Regex Value();
}
