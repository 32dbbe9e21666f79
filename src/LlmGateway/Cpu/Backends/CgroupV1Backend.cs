using System.Globalization;

namespace LlmGateway.Cpu.Backends;

/// <summary>cgroup v1: a group llmgw-PID in the cpu, cpuacct and cpuset hierarchies (and memory, when the plan limits memory) that llama-server joins before exec.</summary>
/// <remarks>
/// cpu.cfs_quota_us / cpu.cfs_period_us hold the cap (burst 0 where the kernel has cfs_burst_us),
/// cpuset.cpus the CPU set, cpu.idle the yield where the kernel has it (SCHED_IDLE from the launcher
/// besides), and cpuacct.usage counts what the group used. v1 has no rule against processes in inner
/// groups, so the group sits right beside the gateway's own. Memory limits (Cpu:MemoryHighBytes,
/// Cpu:MemoryMaxBytes) become memory.soft_limit_in_bytes (reclaimed first under pressure: v1's nearest to
/// v2's memory.high) and memory.limit_in_bytes (the OOM killer above it); a memory hierarchy that cannot be
/// used leaves memory unenforced rather than refusing the CPU confinement.
/// </remarks>
public sealed class CgroupV1Backend(string root, string procSelfCgroup = "/proc/self/cgroup") : ICpuBackend
{
    private readonly string _name = $"llmgw-{Environment.ProcessId}";
    private string? _cpu;
    private string? _cpuacct;
    private string? _cpuset;
    private string? _memory;
    private ProcFile? _usage;
    private ProcFile? _stat;
    private long _reads;
    private long? _throttledPeriods;
    private long? _throttledNs;

    public string Name => "cgroup-v1";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null)
    {
        _cpu ??= CreateGroup("cpu");
        _cpuacct ??= SameHierarchy("cpu", "cpuacct") ? _cpu : CreateGroup("cpuacct");
        _cpuset ??= CreateGroup("cpuset");

        List<Enforcement> parts = [];
        var capNote = ApplyCap(plan);
        parts.Add(new("cap", plan.CapPercent is null ? null : $"cgroup v1 {_cpu}: {capNote}", plan.CapPercent is null ? "no cap in this plan" : null));

        // cpuset.mems must be set before a process may join; the parent's are the ones allowed.
        var mems = CgroupFiles.Read(Path.Combine(Path.GetDirectoryName(_cpuset)!, "cpuset.mems"))?.Trim();
        CgroupFiles.Write(_cpuset, "cpuset.mems", string.IsNullOrEmpty(mems) ? "0" : mems);
        CgroupFiles.Write(_cpuset, "cpuset.cpus", plan.CpuListText);
        parts.Add(new("cpus", $"cgroup v1 {_cpuset}: cpuset.cpus={plan.CpuListText}"));

        var idle = ApplyIdle(plan.YieldsFromStart);
        parts.Add(YieldText.Part(plan, $"cgroup v1 {_cpu}: {idle}" + (plan.YieldsFromStart ? " and SCHED_IDLE (llmgw-launch --sched-idle)" : "")));
        var memory = ApplyMemory(plan, parts);

        // A model's own group inside the cpu (and cpuacct) hierarchy's: the cap and the idle flag on the parent hold for all
        // of them, its own counter says what it used; cpuset and memory stay the parent's, one CPU set and one limit for all.
        List<string> joins = [Path.Combine(child is null ? _cpu : MemberGroup(_cpu, child, parts), "cgroup.procs")];
        if (_cpuacct != _cpu)
        {
            joins.Add(Path.Combine(child is null ? _cpuacct : MemberGroup(_cpuacct, child, null), "cgroup.procs"));
        }

        joins.Add(Path.Combine(_cpuset, "cgroup.procs"));
        if (memory is not null)
        {
            joins.Add(Path.Combine(memory, "cgroup.procs"));
        }

        return new Confinement(new LaunchConfinement(joins, null, plan.YieldsFromStart), parts);
    }

    public void Started(int pid)
    {
    }

    public long? ReadUsage(ChildGroup child) =>
        _cpuacct is not null && CgroupFiles.Read(Path.Combine(_cpuacct, child.Name, "cpuacct.usage")) is { } text
            && long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns) ? ns : null;

    /// <summary>The model's group under <paramref name="parent"/>; in the cpu hierarchy (<paramref name="parts"/> given) with its weight as cpu.shares.</summary>
    private static string MemberGroup(string parent, ChildGroup child, List<Enforcement>? parts)
    {
        var group = Path.Combine(parent, child.Name);
        try
        {
            Directory.CreateDirectory(group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CpuBackendUnavailableException($"cannot create {group}: {e.Message}");
        }

        if (parts is not null)
        {
            var shares = child.Shares.ToString(CultureInfo.InvariantCulture);
            CgroupFiles.Write(group, "cpu.shares", shares);
            parts.Add(new("weight", $"cgroup v1 {group}: cpu.shares={shares} (weight {child.Weight})"));
        }

        return group;
    }

    public void Exited(int pid)
    {
    }

    public string? SetCap(CpuPlan plan)
    {
        if (_cpu is null)
        {
            return "no group has been made yet";
        }

        try
        {
            ApplyCap(plan);
            return null;
        }
        catch (CpuBackendUnavailableException e)
        {
            return e.Message;
        }
    }

    public string? SetIdle(int pid, bool idle)
    {
        if (_cpu is null)
        {
            return "no group has been made yet";
        }

        try
        {
            ApplyIdle(idle);
            return null;
        }
        catch (CpuBackendUnavailableException e)
        {
            return e.Message;
        }
    }

    public ConfinedUsage? ReadUsage()
    {
        if (_cpuacct is null)
        {
            return null;
        }

        _usage ??= new ProcFile(Path.Combine(_cpuacct, "cpuacct.usage"));
        _stat ??= new ProcFile(Path.Combine(_cpu!, "cpu.stat"));
        if (ProcFile.FirstNumber(_usage.Read()) is not { } ns)
        {
            return null;
        }

        // Throttling is a slow-moving count: reading its file once in ten samples keeps the sampler's cost down.
        if (_reads++ % 10 == 0)
        {
            var stat = _stat.Read();
            (_throttledPeriods, _throttledNs) = (ProcFile.Field(stat, "nr_throttled"u8), ProcFile.Field(stat, "throttled_time"u8));
        }

        return new ConfinedUsage(ns, _throttledPeriods, _throttledNs);
    }

    public void Dispose()
    {
        _usage?.Dispose();
        _stat?.Dispose();
        foreach (var group in new[] { _cpu, _cpuacct, _cpuset, _memory }.OfType<string>().Distinct())
        {
            CgroupFiles.TryRemove(group);
        }
    }

    /// <summary>
    /// The group's priority against its siblings: cpu.idle where the kernel has it (5.15+), else the least cpu.shares.
    /// The group's, not the threads': inside a group, a thread's policy only orders it against the group's own threads.
    /// cpu.shares is left alone where cpu.idle exists: the kernel refuses it (EINVAL) while the group is idle.
    /// </summary>
    private string ApplyIdle(bool idle)
    {
        if (CgroupFiles.WriteIfPresent(_cpu!, "cpu.idle", idle ? "1" : "0"))
        {
            return $"cpu.idle={(idle ? 1 : 0)}";
        }

        CgroupFiles.Write(_cpu!, "cpu.shares", idle ? "2" : "1024");
        return $"cpu.shares={(idle ? 2 : 1024)}";
    }

    /// <summary>The memory group when the plan limits memory and the hierarchy allows it, else null with the reason in the parts.</summary>
    private string? ApplyMemory(CpuPlan plan, List<Enforcement> parts)
    {
        if (plan.MemoryHighBytes is null && plan.MemoryMaxBytes is null)
        {
            if (_memory is not null)
            {
                // A reused group may still carry an earlier plan's limits; the child will not join it anyway.
                CgroupFiles.WriteIfPresent(_memory, "memory.limit_in_bytes", "-1");
                CgroupFiles.WriteIfPresent(_memory, "memory.soft_limit_in_bytes", "-1");
            }

            return null;
        }

        var soft = plan.MemoryHighBytes?.ToString(CultureInfo.InvariantCulture) ?? "-1";
        var hard = plan.MemoryMaxBytes?.ToString(CultureInfo.InvariantCulture) ?? "-1";
        try
        {
            _memory ??= CreateGroup("memory");
            CgroupFiles.Write(_memory, "memory.limit_in_bytes", hard);
            CgroupFiles.Write(_memory, "memory.soft_limit_in_bytes", soft);
        }
        catch (CpuBackendUnavailableException e)
        {
            parts.Add(new("memory", null, $"cgroup v1 memory: {e.Message}"));
            return null;
        }

        parts.Add(new("memory", $"cgroup v1 {_memory}: memory.soft_limit_in_bytes={soft} memory.limit_in_bytes={hard}"));
        return _memory;
    }

    private string ApplyCap(CpuPlan plan)
    {
        CgroupFiles.Write(_cpu!, "cpu.cfs_period_us", plan.CapPeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
        CgroupFiles.WriteIfPresent(_cpu!, "cpu.cfs_burst_us", "0");
        var quota = plan.CapQuotaMicroseconds is { } q ? q.ToString(CultureInfo.InvariantCulture) : "-1";
        CgroupFiles.Write(_cpu!, "cpu.cfs_quota_us", quota);
        return $"cpu.cfs_quota_us={quota} cpu.cfs_period_us={plan.CapPeriodMicroseconds}";
    }

    private string Hierarchy(string controller)
    {
        var dir = Path.Combine(root, controller);
        if (!File.Exists(Path.Combine(dir, "cgroup.procs")))
        {
            throw new CpuBackendUnavailableException($"no cgroup v1 '{controller}' hierarchy at {dir}");
        }

        return dir;
    }

    private bool SameHierarchy(string a, string b) =>
        new DirectoryInfo(Hierarchy(a)).ResolveLinkTarget(true)?.FullName is { } x
        && new DirectoryInfo(Hierarchy(b)).ResolveLinkTarget(true)?.FullName == x;

    private string CreateGroup(string controller)
    {
        var hierarchy = Hierarchy(controller);
        // Beside the gateway's own group when that is visible here, else at the top of the hierarchy.
        var own = CgroupFiles.OwnPath(controller, procSelfCgroup)?.TrimStart('/');
        var parent = own is { Length: > 0 } && Directory.Exists(Path.Combine(hierarchy, own)) ? Path.Combine(hierarchy, own) : hierarchy;
        CgroupFiles.SweepStale(parent, Environment.ProcessId);
        var group = Path.Combine(parent, _name);
        try
        {
            Directory.CreateDirectory(group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CpuBackendUnavailableException($"cannot create {group}: {e.Message}");
        }

        return group;
    }
}
