using System.Globalization;

namespace LlmGateway.Cpu.Backends;

/// <summary>cgroup v2: a group llmgw-PID inside the gateway's own (delegated) group that llama-server joins before exec.</summary>
/// <remarks>
/// cpu.max holds the cap (cpu.max.burst 0), cpuset.cpus the CPU set where the cpuset controller is
/// delegated (else the launcher's affinity), cpu.idle the yield where the kernel has it (SCHED_IDLE from
/// the launcher besides), memory.high and memory.max the memory limits, and cpu.stat counts what the
/// group used. A non-root group with processes cannot pass controllers to its children ("no internal
/// processes"), so the gateway first moves out of its group into a leaf named gateway.
/// </remarks>
public sealed class CgroupV2Backend(string root, string procSelfCgroup = "/proc/self/cgroup") : ICpuBackend
{

    private readonly string _name = $"llmgw-{Environment.ProcessId}";
    private string? _base;
    private string? _group;
    private ProcFile? _stat;

    public string Name => "cgroup-v2";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null)
    {
        // Found once: after the move into the leaf, /proc/self/cgroup names the leaf.
        _base ??= OwnGroup();
        var controllers = (CgroupFiles.Read(Path.Combine(_base, "cgroup.controllers")) ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (!controllers.Contains("cpu"))
        {
            throw new CpuBackendUnavailableException(
                $"the cgroup v2 hierarchy has no cpu controller at {_base} (on a hybrid system v1 holds it; else the parent does not delegate it)");
        }

        var cpuset = controllers.Contains("cpuset");
        var memoryPlanned = plan.MemoryHighBytes is not null || plan.MemoryMaxBytes is not null;
        var memory = memoryPlanned && controllers.Contains("memory");

        RequireDelegated(_base);
        // Only the kernel's root group (the one without cgroup.type) may hold processes and pass controllers
        // on; a container's "/" under a cgroup namespace is not it.
        if (File.Exists(Path.Combine(_base, "cgroup.type")) && Processes(_base) is { Length: > 0 } processes)
        {
            MoveIntoLeaf(Path.Combine(_base, "gateway"), processes);
        }

        CgroupFiles.Write(_base, "cgroup.subtree_control", "+cpu" + (cpuset ? " +cpuset" : "") + (memory ? " +memory" : ""));
        CgroupFiles.SweepStale(_base, Environment.ProcessId);
        _group = Path.Combine(_base, _name);
        CreateDirectory(_group);

        IReadOnlyList<int>? affinity = null;
        List<Enforcement> parts = [];
        var cap = ApplyCap(plan);
        parts.Add(plan.CapPercent is null ? new("cap", null, "no cap in this plan")
            : new("cap", $"cgroup v2 {_group}: {cap}"));

        if (cpuset)
        {
            CgroupFiles.Write(_group, "cpuset.cpus", plan.CpuListText);
            parts.Add(new("cpus", $"cgroup v2 {_group}: cpuset.cpus={plan.CpuListText}"));
        }
        else
        {
            // Affinity needs no controller and no privilege, so the CPU set holds even here.
            affinity = plan.Cpus;
            parts.Add(new("cpus", $"sched_setaffinity {plan.CpuListText} (llmgw-launch --cpus)", "cgroup v2 has no cpuset controller here"));
        }

        var idle = ApplyIdle(plan.YieldsFromStart);
        parts.Add(YieldText.Part(plan, $"cgroup v2 {_group}: {idle}" + (plan.YieldsFromStart ? ", and SCHED_IDLE (llmgw-launch --sched-idle)" : "")));

        var high = plan.MemoryHighBytes?.ToString(CultureInfo.InvariantCulture) ?? "max";
        var max = plan.MemoryMaxBytes?.ToString(CultureInfo.InvariantCulture) ?? "max";
        if (memory)
        {
            CgroupFiles.Write(_group, "memory.high", high);
            CgroupFiles.Write(_group, "memory.max", max);
            parts.Add(new("memory", $"cgroup v2 {_group}: memory.high={high} memory.max={max}"));
        }
        else
        {
            // A reused group may still carry an earlier plan's limits.
            CgroupFiles.WriteIfPresent(_group, "memory.high", "max");
            CgroupFiles.WriteIfPresent(_group, "memory.max", "max");
            if (memoryPlanned)
            {
                parts.Add(new("memory", null, "cgroup v2 has no memory controller here"));
            }
        }

                // A model's own group inside the gateway's: the cap, the CPU set, the idle flag and the memory limits on the parent
        // hold for all of them; only cpu is passed on, for the weight. The parent then holds no process itself, as v2 requires.
        var join = child is null ? _group : MemberGroup(child, parts);
        return new Confinement(new LaunchConfinement([Path.Combine(join, "cgroup.procs")], affinity, plan.YieldsFromStart), parts);
    }

    public void Started(int pid)
    {
    }

    public void Exited(int pid)
    {
    }

    public string? SetCap(CpuPlan plan)
    {
        if (_group is null)
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
        if (_group is null)
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

    public long? ReadUsage(ChildGroup child) =>
        _group is not null && CgroupFiles.Field(CgroupFiles.Read(Path.Combine(_group, child.Name, "cpu.stat")), "usage_usec") is { } usec ? usec * 1000 : null;

    /// <summary>The model's group under the gateway's, with its weight as cpu.weight.</summary>
    private string MemberGroup(ChildGroup child, List<Enforcement> parts)
    {
        CgroupFiles.Write(_group!, "cgroup.subtree_control", "+cpu");
        var group = Path.Combine(_group!, child.Name);
        CreateDirectory(group);
        var weight = child.Weight.ToString(CultureInfo.InvariantCulture);
        CgroupFiles.Write(group, "cpu.weight", weight);
        parts.Add(new("weight", $"cgroup v2 {group}: cpu.weight={weight}"));
        return group;
    }

    public ConfinedUsage? ReadUsage()
    {
        if (_group is null)
        {
            return null;
        }

        _stat ??= new ProcFile(Path.Combine(_group, "cpu.stat"));
        var stat = _stat.Read();
        return ProcFile.Field(stat, "usage_usec"u8) is { } usage
            ? new ConfinedUsage(usage * 1000, ProcFile.Field(stat, "nr_throttled"u8), ProcFile.Field(stat, "throttled_usec"u8) * 1000)
            : null;
    }

    public void Dispose()
    {
        _stat?.Dispose();
        if (_group is not null)
        {
            CgroupFiles.TryRemove(_group); // the gateway stays in its leaf: moving back would break the rule above
        }
    }

    /// <summary>The group's priority: cpu.idle where the kernel has it (5.15+), else the least cpu.weight.</summary>
    /// <remarks>cpu.weight is left alone where cpu.idle exists: the kernel refuses it while the group is idle.</remarks>
    private string ApplyIdle(bool idle)
    {
        if (CgroupFiles.WriteIfPresent(_group!, "cpu.idle", idle ? "1" : "0"))
        {
            return $"cpu.idle={(idle ? 1 : 0)}";
        }

        CgroupFiles.WriteIfPresent(_group!, "cpu.weight", idle ? "1" : "100");
        return $"cpu.weight={(idle ? 1 : 100)}";
    }

    private string ApplyCap(CpuPlan plan)
    {
        var quota = plan.CapQuotaMicroseconds is { } q ? q.ToString(CultureInfo.InvariantCulture) : "max";
        var value = $"{quota} {plan.CapPeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}";
        CgroupFiles.WriteIfPresent(_group!, "cpu.max.burst", "0");
        CgroupFiles.Write(_group!, "cpu.max", value);
        return $"cpu.max={value}";
    }

    private string OwnGroup()
    {
        // Hybrid systems mount the unified hierarchy (without controllers, usually) under unified/.
        var hierarchy = new[] { root, Path.Combine(root, "unified") }.FirstOrDefault(d => File.Exists(Path.Combine(d, "cgroup.controllers")))
            ?? throw new CpuBackendUnavailableException($"no cgroup v2 hierarchy at {root} or {Path.Combine(root, "unified")}");
        var own = CgroupFiles.OwnPath("", procSelfCgroup)
            ?? throw new CpuBackendUnavailableException($"{procSelfCgroup} names no cgroup v2 group (no 0:: line)");
        var group = Path.Combine(hierarchy, own.TrimStart('/'));
        return Directory.Exists(group) ? group : throw new CpuBackendUnavailableException($"this process's cgroup {own} is not visible under {hierarchy}");
    }

    /// <summary>Fails early, before anything moves, where the group is not ours to change.</summary>
    private static void RequireDelegated(string group)
    {
        var file = Path.Combine(group, "cgroup.subtree_control");
        try
        {
            File.OpenHandle(file, FileMode.Open, FileAccess.Write).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CpuBackendUnavailableException(
                $"cannot write {file} ({e.Message}): the cgroup is not delegated to this process or is read-only; run the gateway as a systemd service with Delegate=yes, or as root");
        }
    }

    private static string[] Processes(string group) =>
        (CgroupFiles.Read(Path.Combine(group, "cgroup.procs")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void MoveIntoLeaf(string leaf, string[] processes)
    {
        CreateDirectory(leaf);
        var own = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        CgroupFiles.Write(leaf, "cgroup.procs", own);
        // Whatever else shares the group (a container's init, a wrapper script) must go too, or enabling
        // controllers fails with EBUSY; one that exited meanwhile or cannot move is left to that error.
        foreach (var pid in processes.Where(p => p != own))
        {
            try
            {
                CgroupFiles.Write(leaf, "cgroup.procs", pid);
            }
            catch (CpuBackendUnavailableException)
            {
            }
        }
    }

    private static void CreateDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CpuBackendUnavailableException($"cannot create {dir}: {e.Message}");
        }
    }
}
