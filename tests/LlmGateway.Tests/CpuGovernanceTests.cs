using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>
/// The CPU budget on a real llama-server under this machine's cgroup v1 hierarchies (root; cpu, cpuacct
/// and cpuset writable), checked against the kernel's own files and counters, not the gateway's word.
/// </summary>
/// <remarks>Bounds are the kernel's to hold, so they are upper bounds with room: a busy test host only lowers the child's CPU.</remarks>
public sealed class CpuGovernanceTests
{
    private const string CgroupRoot = "/sys/fs/cgroup";

    [Fact]
    public async Task HalfBudgetCap_OverTwoThreads_ChildIsInItsCgroup_AndTheKernelHoldsItAtHalfTheMachine()
    {
        await using var gateway = await StartAsync(new()
        {
            ["Cpu__Profile"] = "Custom", ["Cpu__BudgetPercent"] = "50", ["Cpu__Mode"] = "Cap",
            ["Cpu__Threads"] = "2", ["Cpu__ThreadsBatch"] = "2", ["Cpu__Backend"] = "CgroupV1",
        });
        var pid = await gateway.ChildPidAsync();
        var group = $"/llmgw-{gateway.Pid}";

        Assert.Equal(group, ProcStat.Cgroup(pid, "cpu"));
        Assert.Equal(group, ProcStat.Cgroup(pid, "cpuset"));
        Assert.Equal("100000", Read("cpu", group, "cpu.cfs_quota_us")); // half of two cores per 100 ms period
        Assert.Equal("100000", Read("cpu", group, "cpu.cfs_period_us"));
        Assert.Equal("0-1", Read("cpuset", group, "cpuset.cpus"));
        Assert.Contains("--threads 2 --threads-batch 2", ProcStat.CommandLine(pid), StringComparison.Ordinal);

        await using (Generate(gateway))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var percent = await ProcStat.CpuPercentAsync(pid, TimeSpan.FromSeconds(5));
            Assert.True(percent <= 55, $"llama-server used {percent:F1} % of the machine under a 50 % cap");
        }

        var cpu = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu");
        Assert.Equal("cgroup", cpu.GetProperty("child_cpu_source").GetString());
        Assert.True(cpu.GetProperty("throttled_periods").GetInt64() >= 0, cpu.ToString());
    }

    [Fact]
    public async Task BalancedProfile_PlansOneThreadOnTheLastCpu_AndTheChildRunsOnlyThere()
    {
        await using var gateway = await StartAsync(new() { ["Cpu__Profile"] = "Balanced" });
        var pid = await gateway.ChildPidAsync();
        var plan = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu/plan");

        Assert.Equal(("CgroupV1", 1, 1, "1", 50.0), (plan.GetProperty("backend").GetString(), plan.GetProperty("threads").GetInt32(),
            plan.GetProperty("threads_batch").GetInt32(), plan.GetProperty("cpus").GetString(), plan.GetProperty("cap_percent").GetDouble()));
        Assert.Contains(plan.GetProperty("unavailable").EnumerateArray(), r => r.GetProperty("backend").GetString() == "CgroupV2");
        Assert.Equal("1", ProcStat.Status(pid, "Cpus_allowed_list"));
        Assert.Contains("--threads 1 --threads-batch 1", ProcStat.CommandLine(pid), StringComparison.Ordinal);
        Assert.Contains("CPU plan: 50 % of 2 cores (Balanced, Cap) by CgroupV1", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StrictYield_EveryThreadOfTheChild_IsSchedIdle_FromItsStart()
    {
        var settings = GatewayProcess.DefaultSettings();
        (settings["Cpu__Profile"], settings["Cpu__BudgetPercent"], settings["Cpu__Mode"]) = ("Custom", "100", "Yield");
        settings["Cpu__LatencyBudgetMilliseconds"] = "-1";
        // Not waiting for ready: at idle priority on a busy test host, loading waits for idle CPU. The child is
        // checked while it loads, which is the point: it yields from its first instruction.
        await using var gateway = await GatewayProcess.StartAsync(settings, waitReady: false);
        var found = await WaitForAsync(() => ProcStat.Find("llama-server", $"llmgw-{gateway.Pid}-"), l => l.Count == 1);
        Assert.True(found.Count == 1, $"{found.Count} llama-server for gateway {gateway.Pid}\n{gateway.Output}");
        var pid = found[0];

        AssertAllIdle(pid);
        Assert.Equal("1", Read("cpu", ProcStat.Cgroup(pid, "cpu"), "cpu.idle"));

        // Threads made later (the compute pool, made while the model loads) inherit it: checked too when the host lets
        // llama-server load in time. No request: under strict yield a busy host may starve it, by design.
        var ready = await gateway.Http.GetAsync("/ready");
        for (var i = 0; i < 40 && ready.StatusCode != HttpStatusCode.OK; i++)
        {
            await Task.Delay(500);
            ready = await gateway.Http.GetAsync("/ready");
        }

        if (ready.StatusCode == HttpStatusCode.OK)
        {
            AssertAllIdle(pid);
        }
    }

    private static void AssertAllIdle(int pid)
    {
        var policies = ProcStat.ThreadPolicies(pid);
        Assert.NotEmpty(policies);
        Assert.All(policies, p => Assert.Equal(5, p));
    }

    [Fact]
    public async Task CapChangedLive_RewritesTheQuota_WithoutRestartingLlamaServer()
    {
        await using var gateway = await StartAsync(new() { ["Cpu__Profile"] = "Balanced" });
        var pid = await gateway.ChildPidAsync();
        var group = ProcStat.Cgroup(pid, "cpu");

        var lowered = await gateway.Http.PutAsJsonAsync("/admin/cpu/cap", new { cap_percent = 25 });
        Assert.Equal(HttpStatusCode.OK, lowered.StatusCode);
        Assert.Equal("50000", Read("cpu", group, "cpu.cfs_quota_us"));
        Assert.Equal(25, (await lowered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cap_percent").GetDouble());

        var invalid = await gateway.Http.PutAsJsonAsync("/admin/cpu/cap", new { cap_percent = 150 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("50000", Read("cpu", group, "cpu.cfs_quota_us"));

        var removed = await gateway.Http.PutAsJsonAsync("/admin/cpu/cap", new { cap_percent = (double?)null });
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal("-1", Read("cpu", group, "cpu.cfs_quota_us"));
        Assert.Equal(pid, await gateway.ChildPidAsync());
    }

    [Fact]
    public async Task CpulimitBackend_StartsWithTheChild_LimitsIt_AndEndsWithIt()
    {
        await using var gateway = await StartAsync(new()
        {
            ["Cpu__Profile"] = "Custom", ["Cpu__BudgetPercent"] = "50", ["Cpu__Mode"] = "Cap",
            ["Cpu__Threads"] = "2", ["Cpu__ThreadsBatch"] = "2", ["Cpu__Backend"] = "Scheduler",
        });
        var pid = await gateway.ChildPidAsync();
        var limiter = await WaitForAsync(() => ProcStat.Find("cpulimit", $"-p {pid} -l 100"), l => l.Count == 1);
        Assert.True(limiter.Count == 1, $"{limiter.Count} cpulimit -p {pid} -l 100\n{gateway.Output}");
        Assert.DoesNotContain("llmgw-", ProcStat.Cgroup(pid, "cpu"), StringComparison.Ordinal);

        await using (Generate(gateway))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var percent = await ProcStat.CpuPercentAsync(pid, TimeSpan.FromSeconds(5));
            // cpulimit is reactive (the research saw its spikes pass the limit); the mean still has to come down.
            Assert.True(percent <= 70, $"llama-server used {percent:F1} % of the machine under cpulimit -l 100 (50 %)");
        }

        Posix.Kill(pid, Posix.SigKill);
        var left = await WaitForAsync(() => ProcStat.Find("cpulimit", $"-p {pid} "), l => l.Count == 0);
        Assert.True(left.Count == 0, $"cpulimit outlived its child: {string.Join(',', left)}\n{gateway.Output}");
        await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        var restarted = await gateway.ChildPidAsync();
        var attached = await WaitForAsync(() => ProcStat.Find("cpulimit", $"-p {restarted} "), l => l.Count == 1);
        Assert.True(attached.Count == 1, $"{attached.Count} cpulimit for the restarted child {restarted}\n{gateway.Output}");

        await gateway.DisposeAsync();
        left = await WaitForAsync(() => ProcStat.Find("cpulimit", $"-p {restarted} "), l => l.Count == 0);
        Assert.True(left.Count == 0, $"cpulimit outlived the gateway: {string.Join(',', left)}\n{gateway.Output}");
    }

    [Fact]
    public async Task StaleGroupOfADeadGateway_IsRemoved_AndTheGatewaysOwnGoesWithIt()
    {
        var stale = Path.Combine(CgroupRoot, "cpu", "llmgw-999999999");
        Directory.CreateDirectory(stale);
        var gateway = await StartAsync(new() { ["Cpu__Profile"] = "Balanced" });
        var own = Path.Combine(CgroupRoot, "cpu", $"llmgw-{gateway.Pid}");
        try
        {
            Assert.False(Directory.Exists(stale), "the group of a gateway that no longer runs is still there");
            Assert.True(Directory.Exists(own));
        }
        finally
        {
            await gateway.DisposeAsync();
            if (Directory.Exists(stale))
            {
                Directory.Delete(stale);
            }
        }

        Assert.False(Directory.Exists(own), "the gateway left its cgroup behind");
    }

    private static async Task<GatewayProcess> StartAsync(Dictionary<string, string?> cpu)
    {
        var settings = GatewayProcess.DefaultSettings();
        foreach (var (key, value) in cpu)
        {
            settings[key] = value;
        }

        return await GatewayProcess.StartAsync(settings);
    }

    private static string Read(string controller, string group, string file) =>
        File.ReadAllText(Path.Combine(CgroupRoot, controller, group.TrimStart('/'), file)).Trim();

    /// <summary>Keeps llama-server generating until disposed.</summary>
    private static Generation Generate(GatewayProcess gateway) => new(gateway);

    private static async Task<T> WaitForAsync<T>(Func<T> probe, Func<T, bool> done)
    {
        // A ceiling only a hang reaches: a loaded host is slow, and that is no failure.
        var deadline = DateTime.UtcNow + Eventually.Ceiling;
        var value = probe();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            value = probe();
        }

        return value;
    }

    private sealed class Generation : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _request;

        /// <remarks>
        /// One answer can be no longer than a slot's context (2,048 tokens here; more is a 400, as OpenAI answers), so it
        /// asks again until disposed. Every answer must succeed: a generator that fails at once would measure nothing.
        /// </remarks>
        public Generation(GatewayProcess gateway)
        {
            var body = new { messages = new[] { new { role = "user", content = "Count." } }, max_tokens = 1900, ignore_eos = true };
            _request = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", body, _stop.Token);
                    response.EnsureSuccessStatusCode();
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _request;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }
}
