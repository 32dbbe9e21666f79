using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>The default profile, Invisible, end to end: it yields while nothing waits, and never starves.</summary>
[Collection(MachineAlone.Name)]
public sealed class DefaultProfileTests
{
    [Fact]
    public async Task Invisible_YieldsWhileNothingWaits_TakesNormalPriorityForALateRequest_AndYieldsAgainAfter()
    {
        await using var gateway = await GatewayProcess.StartAsync(DefaultProfile());
        var pid = await gateway.ChildPidAsync();
        // The idle flag is the gateway's group's, over every model's own group (the child's is inside it).
        var group = Path.GetDirectoryName(Path.Combine("/sys/fs/cgroup/cpu", ProcStat.Cgroup(pid, "cpu").TrimStart('/')))!;
        Assert.EndsWith($"llmgw-{gateway.Pid}", group, StringComparison.Ordinal);

        await Eventually.UntilAsync(() => Priority(gateway), p => p == "idle", "llama-server to yield once loaded");
        Assert.Equal("1", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());

        await using (await LlamaLoad.StartAsync(gateway))
        {
            await Eventually.UntilAsync(() => Priority(gateway), p => p == "normal", "a request running past Cpu:LatencyBudgetMilliseconds to lift the priority");
            Assert.Equal("0", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());
            Assert.Contains("llmgw_child_priority_idle{", await gateway.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        } // the client leaves: nothing waits any more

        await Eventually.UntilAsync(() => Priority(gateway), p => p == "idle", "llama-server to yield again once no request waits");
        Assert.Equal("1", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());
    }

    [Fact]
    public async Task Invisible_OnAMachineBusyWithTwoCpuBoundProcesses_LoadsAndServes()
    {
        // Strict idle priority never finished loading here (still starting after 249 s); the default profile must.
        using var hogs = new CpuHogs(count: 2);
        await using var gateway = await GatewayProcess.StartAsync(DefaultProfile(), waitReady: false);
        await Eventually.UntilAsync(gateway.ReadyStateAsync, s => s.GetProperty("status").GetString() == "ready",
            "the default profile to load on a busy machine");

        // The real defaults end to end: the plan is Invisible's, /ready says the child yields, and both kinds of answer work.
        var plan = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu/plan");
        Assert.Equal("Invisible", plan.GetProperty("profile").GetString());
        Assert.Contains((await gateway.ReadyStateAsync()).GetProperty("priority").GetString(), new[] { "idle", "normal" });
        var model = await gateway.ModelIdAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling };
        Assert.Equal((FaultOutcome.Complete, "json"), await FaultClient.ChatAsync(http, model, stream: false, maxTokens: 8));
        Assert.Equal((FaultOutcome.Complete, "stream"), await FaultClient.ChatAsync(http, model, stream: true, maxTokens: 8));
        Assert.True(hogs.AllRunning, "the CPU-bound processes were still running");
    }

    /// <summary>The defaults: only what the test host needs (model, binaries, port), no Cpu settings.</summary>
    private static Dictionary<string, string?> DefaultProfile() => GatewayProcess.OwnCpuSettings([]);

    private static async Task<string?> Priority(GatewayProcess gateway) =>
        (await gateway.ReadyStateAsync()).GetProperty("priority").GetString();

    /// <summary>CPU-bound processes at normal priority, as a build would be: one per core.</summary>
    private sealed class CpuHogs : IDisposable
    {
        private readonly List<Process> _hogs = [];

        public CpuHogs(int count)
        {
            for (var i = 0; i < count; i++)
            {
                _hogs.Add(Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!);
            }
        }

        public bool AllRunning => _hogs.All(h => !h.HasExited);

        public void Dispose()
        {
            foreach (var hog in _hogs)
            {
                hog.Kill();
                hog.WaitForExit();
                hog.Dispose();
            }
        }
    }
}
