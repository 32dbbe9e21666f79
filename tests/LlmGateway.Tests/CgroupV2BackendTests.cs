using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;

namespace LlmGateway.Tests;

/// <summary>The cgroup v2 backend against a fake cgroupfs laid out as the kernel lays it out.</summary>
/// <remarks>
/// The test host cannot enable v2 controllers, so the tree is plain files in a temp directory. mkdir there
/// makes no interface files, so the groups the backend creates (the gateway leaf and llmgw-PID) exist
/// beforehand with the files the kernel would give them; a write replaces a file's content as cgroupfs would.
/// </remarks>
public sealed class CgroupV2BackendTests : IDisposable
{
    private const string AllControllers = "cpuset cpu io memory pids";
    private static readonly string Pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private readonly string _temp = Directory.CreateTempSubdirectory("llmgw-cgroup2-").FullName;
    private readonly string _root;
    private readonly string _procSelfCgroup;

    public CgroupV2BackendTests()
    {
        _root = Path.Combine(_temp, "sys-fs-cgroup");
        _procSelfCgroup = Path.Combine(_temp, "proc-self-cgroup");
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void HalfBudgetOnTwoCores_WritesCpuMaxOfOneCorePerPeriod()
    {
        var (hierarchy, group) = Service();
        File.WriteAllText(Path.Combine(group, "cpu.max.burst"), "20000");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal("100000 100000", Read(group, "cpu.max"));
        Assert.Equal("0", Read(group, "cpu.max.burst"));
        var cap = Part(confinement, "cap");
        Assert.Contains(group, cap.By);
        Assert.Contains("cpu.max=100000 100000", cap.By);
        Assert.Null(cap.Note);
        Assert.StartsWith(Path.Combine(hierarchy, "system.slice"), group);
    }

    [Fact]
    public void ModelsChild_JoinsAGroupOfItsOwn_WithItsWeight_UnderTheGatewaysCap()
    {
        var (_, group) = Service();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }), new ChildGroup("0-small", Weight: 50));

        var member = Path.Combine(group, "0-small");
        Assert.Equal(Path.Combine(member, "cgroup.procs"), confinement.LauncherArguments[1]);
        Assert.Equal("50", Read(member, "cpu.weight"));
        Assert.Equal("+cpu", Read(group, "cgroup.subtree_control")); // passed on for the weight; the cap stays the gateway's group's
        Assert.Equal("100000 100000", Read(group, "cpu.max"));
        Assert.Equal($"cgroup v2 {member}: cpu.weight=50", Part(confinement, "weight").By);

        File.WriteAllText(Path.Combine(member, "cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        Assert.Equal(2_500_000, backend.ReadUsage(new ChildGroup("0-small")));
    }

    [Fact]
    public void NoCap_WritesMaxQuota()
    {
        var (_, group) = Service();
        File.WriteAllText(Path.Combine(group, "cpu.max"), "50000 100000");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Fast }));

        Assert.Equal("max 100000", Read(group, "cpu.max"));
        Assert.Equal(new Enforcement("cap", null, "no cap in this plan"), Part(confinement, "cap"));
    }

    [Fact]
    public void TinyCap_IsRaisedToTheKernelsMinimumQuota()
    {
        var (_, group) = Service();
        using var backend = Backend();

        backend.Prepare(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 1, Mode = CpuMode.Cap, CapPeriodMicroseconds = 10_000 }));

        Assert.Equal("1000 10000", Read(group, "cpu.max")); // 1 % of 2 cores would be 200 us; the kernel wants 1 ms at least
    }

    [Fact]
    public void Plan_WritesItsCpusToCpusetCpus()
    {
        var (_, group) = Service();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, Cpus = "0-1" }));

        Assert.Equal("0-1", Read(group, "cpuset.cpus"));
        Assert.Equal($"cgroup v2 {group}: cpuset.cpus=0-1", Part(confinement, "cpus").By);
        Assert.DoesNotContain("--cpus", confinement.LauncherArguments);
    }

    [Fact]
    public void NoCpusetController_FallsBackToTheLaunchersAffinity()
    {
        var (_, group) = Service("cpu io memory pids");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, Cpus = "1" }));

        Assert.Equal(new[] { "--join", Path.Combine(group, "cgroup.procs"), "--cpus", "1" }, confinement.LauncherArguments);
        Assert.Equal("cgroup v2 has no cpuset controller here", Part(confinement, "cpus").Note);
        Assert.DoesNotContain("+cpuset", Read(Path.GetDirectoryName(group)!, "cgroup.subtree_control"));
    }

    [Fact]
    public void StrictYield_SetsCpuIdleAndAsksTheLauncherForSchedIdle()
    {
        var (_, group) = Service();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, LatencyBudgetMilliseconds = -1 }));

        Assert.Equal("1", Read(group, "cpu.idle"));
        Assert.Equal(new[] { "--join", Path.Combine(group, "cgroup.procs"), "--sched-idle" }, confinement.LauncherArguments);
        Assert.Contains("cpu.idle=1", Part(confinement, "yield").By);
    }

    [Fact]
    public void StrictYieldWithoutCpuIdle_FallsBackToTheLeastWeightAndSchedIdle()
    {
        var (_, group) = Service();
        File.Delete(Path.Combine(group, "cpu.idle"));
        File.WriteAllText(Path.Combine(group, "cpu.weight"), "100");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, LatencyBudgetMilliseconds = -1 }));

        Assert.Contains("--sched-idle", confinement.LauncherArguments);
        Assert.Equal("1", Read(group, "cpu.weight"));
        Assert.Contains("cpu.weight=1, and SCHED_IDLE (llmgw-launch --sched-idle)", Part(confinement, "yield").By);
    }

    [Fact]
    public void DefaultYield_StartsAtNormalPriority_AndSwitchesTheGroupLive()
    {
        var (_, group) = Service();
        File.WriteAllText(Path.Combine(group, "cpu.idle"), "1");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible }));

        Assert.Equal("0", Read(group, "cpu.idle")); // loading runs at normal priority, within the cap
        Assert.DoesNotContain("--sched-idle", confinement.LauncherArguments);
        Assert.Contains("Cpu:LatencyBudgetMilliseconds", Part(confinement, "yield").By);
        Assert.Null(backend.SetIdle(Environment.ProcessId, idle: true));
        Assert.Equal("1", Read(group, "cpu.idle"));
        Assert.Null(backend.SetIdle(Environment.ProcessId, idle: false));
        Assert.Equal("0", Read(group, "cpu.idle"));
    }

    [Fact]
    public void NoYield_ClearsCpuIdle()
    {
        var (_, group) = Service();
        File.WriteAllText(Path.Combine(group, "cpu.idle"), "1");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal("0", Read(group, "cpu.idle"));
        Assert.Equal(new[] { "--join", Path.Combine(group, "cgroup.procs") }, confinement.LauncherArguments);
    }

    [Fact]
    public void MemoryLimits_AreWrittenAndTheMemoryControllerEnabled()
    {
        var (_, group) = Service();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, MemoryHighBytes = 1L << 30, MemoryMaxBytes = 2L << 30 }));

        Assert.Equal("1073741824", Read(group, "memory.high"));
        Assert.Equal("2147483648", Read(group, "memory.max"));
        Assert.Contains("+memory", Read(Path.GetDirectoryName(group)!, "cgroup.subtree_control"));
        Assert.Equal($"cgroup v2 {group}: memory.high=1073741824 memory.max=2147483648", Part(confinement, "memory").By);
    }

    [Fact]
    public void NoMemoryLimits_LiftsEarlierOnesAndLeavesTheControllerAlone()
    {
        var (_, group) = Service();
        File.WriteAllText(Path.Combine(group, "memory.max"), "4096");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal("max", Read(group, "memory.max"));
        Assert.Equal("+cpu +cpuset", Read(Path.GetDirectoryName(group)!, "cgroup.subtree_control"));
        Assert.DoesNotContain(confinement.Parts, p => p.Part == "memory");
    }

    [Fact]
    public void ServiceGroupWithProcesses_GatewayMovesIntoALeafBeforeEnablingControllers()
    {
        var (_, group) = Service();
        var service = Path.GetDirectoryName(group)!;
        using var backend = Backend();

        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(Pid, Read(Path.Combine(service, "gateway"), "cgroup.procs"));
        Assert.Equal("+cpu +cpuset", Read(service, "cgroup.subtree_control"));
    }

    [Fact]
    public void RootGroup_GatewayStaysWhereItIs()
    {
        Directory.CreateDirectory(_root);
        WriteGroup(_root, AllControllers, isRoot: true, processes: ["1", Pid]);
        var group = Path.Combine(_root, $"llmgw-{Pid}");
        WriteGroup(group, AllControllers);
        File.WriteAllText(_procSelfCgroup, "0::/\n");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.False(Directory.Exists(Path.Combine(_root, "gateway")));
        Assert.Equal("+cpu +cpuset", Read(_root, "cgroup.subtree_control"));
        Assert.Equal(Path.Combine(group, "cgroup.procs"), confinement.LauncherArguments[1]);
    }

    [Fact]
    public void HybridLayout_UsesTheUnifiedHierarchy()
    {
        Directory.CreateDirectory(Path.Combine(_root, "cpu"));
        File.WriteAllText(Path.Combine(_root, "cpu", "cgroup.procs"), "1\n");
        var (hierarchy, group) = Service(hierarchy: Path.Combine(_root, "unified"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(Path.Combine(_root, "unified"), hierarchy);
        Assert.Equal(Path.Combine(group, "cgroup.procs"), confinement.LauncherArguments[1]);
        Assert.Equal("100000 100000", Read(group, "cpu.max"));
    }

    [Fact]
    public void NoCgroupV2Hierarchy_IsUnavailable()
    {
        Directory.CreateDirectory(Path.Combine(_root, "cpu"));
        File.WriteAllText(_procSelfCgroup, "0::/\n");
        using var backend = Backend();

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new())));

        Assert.Contains("no cgroup v2 hierarchy", e.Message);
    }

    [Fact]
    public void NoCpuController_IsUnavailableAndSaysSo()
    {
        var (_, group) = Service("memory pids");
        using var backend = Backend();

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new())));

        Assert.Contains($"no cpu controller at {Path.GetDirectoryName(group)}", e.Message);
    }

    [Fact]
    public void ReadOnlySubtreeControl_IsUnavailableAndPointsToDelegation()
    {
        var (_, group) = Service();
        var service = Path.GetDirectoryName(group)!;
        // Tests run as root, which ignores a 0444 mode, and a read-only mount would need privileges the
        // test should not use: a directory in the file's place makes opening it for writing fail the same way.
        File.Delete(Path.Combine(service, "cgroup.subtree_control"));
        Directory.CreateDirectory(Path.Combine(service, "cgroup.subtree_control"));
        using var backend = Backend();

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new())));

        Assert.Contains("not delegated", e.Message);
        Assert.Contains("Delegate=yes", e.Message);
        Assert.Equal("", Read(Path.Combine(service, "gateway"), "cgroup.procs")); // nothing moved
    }

    [Fact]
    public void SetCap_RewritesCpuMaxOfTheRunningGroup()
    {
        var (_, group) = Service();
        using var backend = Backend();
        Assert.NotNull(backend.SetCap(Plan(new() { Profile = CpuProfile.Balanced })));
        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        var reason = backend.SetCap(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 25, Mode = CpuMode.Cap }));

        Assert.Null(reason);
        Assert.Equal("50000 100000", Read(group, "cpu.max"));
    }

    [Fact]
    public void SecondPrepare_ReusesTheGroupAndRewritesItsValues()
    {
        var (_, group) = Service();
        using var backend = Backend();
        var first = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible }));

        var second = backend.Prepare(Plan(new() { Profile = CpuProfile.Fast }));

        Assert.Equal(first.LauncherArguments[1], second.LauncherArguments[1]);
        Assert.Equal(("max 100000", "0"), (Read(group, "cpu.max"), Read(group, "cpu.idle")));
    }

    [Fact]
    public void ReadUsage_ConvertsMicrosecondsToNanoseconds()
    {
        var (_, group) = Service();
        using var backend = Backend();
        Assert.Null(backend.ReadUsage());
        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));
        File.WriteAllText(Path.Combine(group, "cpu.stat"),
            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 40\nnr_throttled 7\nthrottled_usec 250\nnr_bursts 0\nburst_usec 0\n");

        var usage = backend.ReadUsage();

        Assert.Equal(new ConfinedUsage(1_500_000, 7, 250_000), usage);
    }

    [Fact]
    public void StaleGroupOfAGoneGateway_IsRemoved()
    {
        var (_, group) = Service();
        var stale = Path.Combine(Path.GetDirectoryName(group)!, $"llmgw-{int.MaxValue}");
        Directory.CreateDirectory(stale); // rmdir on cgroupfs takes a group's files with it; here it must be empty
        using var backend = Backend();

        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(group));
    }

    private CgroupV2Backend Backend() => new(_root, _procSelfCgroup);

    private static CpuPlan Plan(CpuOptions options) => CpuPlanner.Plan(options, [0, 1]);

    private static Enforcement Part(Confinement confinement, string part) => confinement.Parts.Single(p => p.Part == part);

    private static string Read(string group, string file) => File.ReadAllText(Path.Combine(group, file)).Trim();

    /// <summary>root/system.slice/llmgateway.service holding the gateway, with its leaf and llmgw-PID ready; returns the hierarchy and llmgw-PID.</summary>
    private (string Hierarchy, string Group) Service(string controllers = AllControllers, string? hierarchy = null)
    {
        hierarchy ??= _root;
        WriteGroup(hierarchy, AllControllers, isRoot: true, processes: ["1"]);
        WriteGroup(Path.Combine(hierarchy, "system.slice"), AllControllers);
        var service = Path.Combine(hierarchy, "system.slice", "llmgateway.service");
        WriteGroup(service, controllers, processes: [Pid]);
        WriteGroup(Path.Combine(service, "gateway"), "");
        var group = Path.Combine(service, $"llmgw-{Pid}");
        WriteGroup(group, controllers);
        File.WriteAllText(_procSelfCgroup, "0::/system.slice/llmgateway.service\n");
        return (hierarchy, group);
    }

    /// <summary>A group's interface files for the controllers its parent enabled; the root has no cgroup.type, cpu.max and the like.</summary>
    private static void WriteGroup(string dir, string controllers, bool isRoot = false, string[]? processes = null)
    {
        Directory.CreateDirectory(dir);
        Dictionary<string, string> files = new()
        {
            ["cgroup.controllers"] = controllers,
            ["cgroup.subtree_control"] = "",
            ["cgroup.procs"] = string.Concat((processes ?? []).Select(p => p + "\n")),
        };
        var enabled = controllers.Split(' ');
        if (!isRoot)
        {
            files["cgroup.type"] = "domain";
            files["cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n";
        }

        if (!isRoot && enabled.Contains("cpu"))
        {
            files["cpu.max"] = "max 100000";
            files["cpu.max.burst"] = "0";
            files["cpu.idle"] = "0";
            files["cpu.stat"] += "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n";
        }

        if (!isRoot && enabled.Contains("cpuset"))
        {
            files["cpuset.cpus"] = "";
        }

        if (!isRoot && enabled.Contains("memory"))
        {
            files["memory.high"] = "max";
            files["memory.max"] = "max";
        }

        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), text.Length == 0 || text.EndsWith('\n') ? text : text + "\n");
        }
    }
}
