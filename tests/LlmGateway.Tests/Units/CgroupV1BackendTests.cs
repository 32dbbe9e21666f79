using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;

namespace LlmGateway.Tests.Units;

/// <summary>The cgroup v1 backend against a fake /sys/fs/cgroup laid out as the kernel lays out v1 hierarchies.</summary>
/// <remarks>
/// Each hierarchy is a directory with its cgroup.procs. mkdir there makes no interface files, so a file the kernel
/// offers only on some versions (cpu.idle, cpu.cfs_burst_us) exists when a test puts it in the group beforehand;
/// a write replaces a file's content as cgroupfs would. <see cref="CgroupV1KernelTests"/> runs the same backend on the real kernel.
/// </remarks>
public sealed class CgroupV1BackendTests : IDisposable
{
    private static readonly string Group = $"llmgw-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    private readonly string _temp = Directory.CreateTempSubdirectory("llmgw-cgroup1-").FullName;
    private readonly string _root;
    private readonly string _procSelfCgroup;

    public CgroupV1BackendTests()
    {
        _root = Path.Combine(_temp, "sys-fs-cgroup");
        _procSelfCgroup = Path.Combine(_temp, "proc-self-cgroup");
        File.WriteAllText(_procSelfCgroup, "4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n");
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void HalfBudgetOnTwoCores_WritesQuotaAndPeriodOfOneCore_AndBurstZero()
    {
        Hierarchies();
        var cpu = Precreate("cpu", ("cpu.cfs_burst_us", "20000"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(("100000", "100000", "0"), (Read(cpu, "cpu.cfs_quota_us"), Read(cpu, "cpu.cfs_period_us"), Read(cpu, "cpu.cfs_burst_us")));
        Assert.Equal($"cgroup v1 {cpu}: cpu.cfs_quota_us=100000 cpu.cfs_period_us=100000", Part(confinement, "cap").By);
    }

    [Fact]
    public void NoCap_WritesMinusOneQuota_AndKeepsThePeriod()
    {
        Hierarchies();
        var cpu = Precreate("cpu", ("cpu.cfs_quota_us", "50000"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Fast, CapPeriodMicroseconds = 50_000 }));

        Assert.Equal(("-1", "50000"), (Read(cpu, "cpu.cfs_quota_us"), Read(cpu, "cpu.cfs_period_us")));
        Assert.Equal(new Enforcement("cap", null, "no cap in this plan"), Part(confinement, "cap"));
        Assert.False(File.Exists(Path.Combine(cpu, "cpu.cfs_burst_us"))); // an older kernel's group gets no such file
    }

    [Fact]
    public void CpusetCpus_IsThePlans_AndCpusetMemsTheParents()
    {
        Hierarchies(parentMems: "0-1");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, Cpus = "1" }));

        var cpuset = Path.Combine(_root, "cpuset", Group);
        Assert.Equal(("1", "0-1"), (Read(cpuset, "cpuset.cpus"), Read(cpuset, "cpuset.mems")));
        Assert.Equal($"cgroup v1 {cpuset}: cpuset.cpus=1", Part(confinement, "cpus").By);
        Assert.DoesNotContain("--cpus", confinement.LauncherArguments); // the cpuset holds it, no affinity needed
    }

    [Fact]
    public void EmptyParentMems_JoinsNodeZero()
    {
        Hierarchies(parentMems: "");
        using var backend = Backend();

        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal("0", Read(Path.Combine(_root, "cpuset", Group), "cpuset.mems"));
    }

    [Fact]
    public void SeparateHierarchies_TheLauncherJoinsCpuCpuacctAndCpuset_WritingCgroupProcs()
    {
        Hierarchies();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(
            ["--join", Procs("cpu"), "--join", Procs("cpuacct"), "--join", Procs("cpuset")],
            confinement.LauncherArguments);
        Assert.True(Directory.Exists(Path.Combine(_root, "cpuacct", Group)));
    }

    [Fact]
    public void ModelsChild_JoinsAGroupOfItsOwn_InCpuAndCpuacct_WithItsWeightAsShares_AndTheParentsCpuset()
    {
        Hierarchies();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }), new ChildGroup("1-wide", Weight: 300));

        var cpu = Path.Combine(_root, "cpu", Group, "1-wide");
        Assert.Equal(
            ["--join", Path.Combine(cpu, "cgroup.procs"), "--join", Path.Combine(_root, "cpuacct", Group, "1-wide", "cgroup.procs"), "--join", Procs("cpuset")],
            confinement.LauncherArguments);
        Assert.Equal("3072", Read(cpu, "cpu.shares"));
        Assert.Equal("100000", Read(Path.Combine(_root, "cpu", Group), "cpu.cfs_quota_us")); // the cap stays the gateway's, over every model
        Assert.Equal($"cgroup v1 {cpu}: cpu.shares=3072 (weight 300)", Part(confinement, "weight").By);

        File.WriteAllText(Path.Combine(_root, "cpuacct", Group, "1-wide", "cpuacct.usage"), "123456789\n");
        Assert.Equal(123_456_789, backend.ReadUsage(new ChildGroup("1-wide")));
        Assert.Null(backend.ReadUsage(new ChildGroup("0-never-started")));
    }

    [Fact]
    public void CoMountedCpuAndCpuacct_AreJoinedOnce()
    {
        // As most distributions mount them: one hierarchy cpu,cpuacct, with cpu and cpuacct as links to it.
        var both = Path.Combine(_root, "cpu,cpuacct");
        WriteHierarchy(both);
        Directory.CreateSymbolicLink(Path.Combine(_root, "cpu"), both);
        Directory.CreateSymbolicLink(Path.Combine(_root, "cpuacct"), both);
        WriteHierarchy(Path.Combine(_root, "cpuset"), ("cpuset.mems", "0"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(["--join", Procs("cpu"), "--join", Procs("cpuset")], confinement.LauncherArguments);
        Assert.Equal("100000", Read(Path.Combine(both, Group), "cpu.cfs_quota_us"));
    }

    [Fact]
    public void StrictYield_SetsCpuIdle_AndAsksTheLauncherForSchedIdle()
    {
        Hierarchies();
        var cpu = Precreate("cpu", ("cpu.idle", "0"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, LatencyBudgetMilliseconds = -1 }));

        Assert.Equal("1", Read(cpu, "cpu.idle"));
        Assert.Equal("--sched-idle", confinement.LauncherArguments[^1]);
        Assert.Contains("cpu.idle=1 and SCHED_IDLE (llmgw-launch --sched-idle)", Part(confinement, "yield").By);
        Assert.False(File.Exists(Path.Combine(cpu, "cpu.shares"))); // the kernel refuses cpu.shares while a group is idle
    }

    [Fact]
    public void DefaultYield_LoadsAtNormalPriority_AndSetIdleSwitchesCpuIdle()
    {
        Hierarchies();
        var cpu = Precreate("cpu", ("cpu.idle", "1"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible }));

        Assert.Equal("0", Read(cpu, "cpu.idle"));
        Assert.DoesNotContain("--sched-idle", confinement.LauncherArguments);
        Assert.Contains("Cpu:LatencyBudgetMilliseconds", Part(confinement, "yield").By);
        Assert.Null(backend.SetIdle(Environment.ProcessId, idle: true));
        Assert.Equal("1", Read(cpu, "cpu.idle"));
        Assert.Null(backend.SetIdle(Environment.ProcessId, idle: false));
        Assert.Equal("0", Read(cpu, "cpu.idle"));
    }

    [Fact]
    public void KernelWithoutCpuIdle_YieldsByTheLeastCpuShares()
    {
        Hierarchies();
        using var backend = Backend();
        var cpu = Path.Combine(_root, "cpu", Group);

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, LatencyBudgetMilliseconds = -1 }));

        Assert.Equal("2", Read(cpu, "cpu.shares"));
        Assert.Contains("cpu.shares=2", Part(confinement, "yield").By);
        Assert.Null(backend.SetIdle(Environment.ProcessId, idle: false));
        Assert.Equal("1024", Read(cpu, "cpu.shares"));
        Assert.False(File.Exists(Path.Combine(cpu, "cpu.idle")));
    }

    [Fact]
    public void MemoryLimits_GoToAMemoryGroup_ThatTheLauncherJoins()
    {
        Hierarchies();
        WriteHierarchy(Path.Combine(_root, "memory"));
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, MemoryHighBytes = 1L << 30, MemoryMaxBytes = 2L << 30 }));

        var memory = Path.Combine(_root, "memory", Group);
        Assert.Equal(("1073741824", "2147483648"), (Read(memory, "memory.soft_limit_in_bytes"), Read(memory, "memory.limit_in_bytes")));
        Assert.Equal(["--join", Procs("memory")], confinement.LauncherArguments.TakeLast(2));
        Assert.Equal($"cgroup v1 {memory}: memory.soft_limit_in_bytes=1073741824 memory.limit_in_bytes=2147483648", Part(confinement, "memory").By);
    }

    [Fact]
    public void MemoryLimitsWithoutAMemoryHierarchy_LeaveMemoryUnenforced_ButConfineTheCpu()
    {
        Hierarchies();
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, MemoryMaxBytes = 1L << 30 }));

        var memory = Part(confinement, "memory");
        Assert.Null(memory.By);
        Assert.Contains("no cgroup v1 'memory' hierarchy", memory.Note);
        Assert.Equal("100000", Read(Path.Combine(_root, "cpu", Group), "cpu.cfs_quota_us"));
        Assert.DoesNotContain(Procs("memory"), confinement.LauncherArguments);
    }

    [Fact]
    public void LaterPlanWithoutMemoryLimits_LiftsTheEarlierOnes_AndDoesNotJoinTheMemoryGroup()
    {
        Hierarchies();
        WriteHierarchy(Path.Combine(_root, "memory"));
        using var backend = Backend();
        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, MemoryMaxBytes = 1L << 30 }));

        var second = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        var memory = Path.Combine(_root, "memory", Group);
        Assert.Equal(("-1", "-1"), (Read(memory, "memory.limit_in_bytes"), Read(memory, "memory.soft_limit_in_bytes")));
        Assert.DoesNotContain(Procs("memory"), second.LauncherArguments);
    }

    [Fact]
    public void GatewayInAGroup_TheChildsGroupGoesBesideIt()
    {
        Hierarchies();
        Directory.CreateDirectory(Path.Combine(_root, "cpu", "system.slice", "llmgateway.service"));
        File.WriteAllText(_procSelfCgroup, "3:cpuset:/\n2:cpuacct:/\n1:cpu:/system.slice/llmgateway.service\n");
        using var backend = Backend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Equal(Path.Combine(_root, "cpu", "system.slice", "llmgateway.service", Group, "cgroup.procs"), confinement.LauncherArguments[1]);
    }

    [Fact]
    public void NoCpuHierarchy_IsUnavailable_NamingWhere()
    {
        Directory.CreateDirectory(_root);
        using var backend = Backend();

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new())));

        Assert.Equal($"no cgroup v1 'cpu' hierarchy at {Path.Combine(_root, "cpu")}", e.Message);
    }

    [Fact]
    public void UnwritableGroup_IsUnavailable_NamingTheFile()
    {
        Hierarchies();
        var cpu = Path.Combine(_root, "cpu", Group);
        // Root ignores a 0444 mode: a directory in the file's place makes the write fail the same way.
        Directory.CreateDirectory(Path.Combine(cpu, "cpu.cfs_period_us"));
        using var backend = Backend();

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced })));

        Assert.StartsWith($"cannot write '100000' to {Path.Combine(cpu, "cpu.cfs_period_us")}", e.Message);
    }

    [Fact]
    public void SetCap_BeforeAnyGroup_SaysSo_AndAfterwards_RewritesTheQuota()
    {
        Hierarchies();
        using var backend = Backend();
        Assert.Equal("no group has been made yet", backend.SetCap(Plan(new() { Profile = CpuProfile.Balanced })));
        Assert.Equal("no group has been made yet", backend.SetIdle(Environment.ProcessId, idle: true));
        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.Null(backend.SetCap(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 25, Mode = CpuMode.Cap })));

        Assert.Equal("50000", Read(Path.Combine(_root, "cpu", Group), "cpu.cfs_quota_us"));
    }

    [Fact]
    public void ReadUsage_IsCpuacctUsage_WithThrottlingFromCpuStat()
    {
        Hierarchies();
        using var backend = Backend();
        Assert.Null(backend.ReadUsage());
        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));
        File.WriteAllText(Path.Combine(_root, "cpuacct", Group, "cpuacct.usage"), "1500000\n");
        File.WriteAllText(Path.Combine(_root, "cpu", Group, "cpu.stat"), "nr_periods 40\nnr_throttled 7\nthrottled_time 250000\n");

        Assert.Equal(new ConfinedUsage(1_500_000, 7, 250_000), backend.ReadUsage());
    }

    [Fact]
    public void StaleGroupOfAGoneGateway_IsRemoved_OursStays()
    {
        Hierarchies();
        var stale = Path.Combine(_root, "cpu", $"llmgw-{int.MaxValue}");
        Directory.CreateDirectory(stale); // rmdir on cgroupfs takes a group's files with it; here it must be empty
        using var backend = Backend();

        backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced }));

        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(Path.Combine(_root, "cpu", Group)));
    }

    private CgroupV1Backend Backend() => new(_root, _procSelfCgroup);

    private static CpuPlan Plan(CpuOptions options) => CpuPlanner.Plan(options, [0, 1]);

    private static Enforcement Part(Confinement confinement, string part) => confinement.Parts.Single(p => p.Part == part);

    private static string Read(string group, string file) => File.ReadAllText(Path.Combine(group, file)).Trim();

    private string Procs(string controller) => Path.Combine(_root, controller, Group, "cgroup.procs");

    /// <summary>The cpu, cpuacct and cpuset hierarchies, each mounted apart, as this test host has them.</summary>
    private void Hierarchies(string parentMems = "0")
    {
        WriteHierarchy(Path.Combine(_root, "cpu"));
        WriteHierarchy(Path.Combine(_root, "cpuacct"));
        WriteHierarchy(Path.Combine(_root, "cpuset"), ("cpuset.mems", parentMems));
    }

    /// <summary>The group llmgw-PID made ahead with the files the kernel would give it.</summary>
    private string Precreate(string controller, params (string File, string Text)[] files)
    {
        var group = Path.Combine(_root, controller, Group);
        WriteHierarchy(group, files);
        return group;
    }

    private static void WriteHierarchy(string dir, params (string File, string Text)[] files)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cgroup.procs"), "");
        foreach (var (file, text) in files)
        {
            File.WriteAllText(Path.Combine(dir, file), text + "\n");
        }
    }
}
