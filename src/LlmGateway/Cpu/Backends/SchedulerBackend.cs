namespace LlmGateway.Cpu.Backends;

/// <summary>Linux without cgroup access (an unprivileged user, a read-only container): what one process may do to its child.</summary>
/// <remarks>
/// The launcher sets the affinity and SCHED_IDLE before exec, which needs no privilege; the cap falls
/// to cpulimit when it is installed, with its reactive spikes, and is otherwise not enforced.
/// </remarks>
public sealed class SchedulerBackend(CpulimitCap? cpulimit) : ICpuBackend
{
    private CpuPlan? _plan;

    public string Name => "scheduler";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null)
    {
        _plan = plan;
        Enforcement cap = plan.CapPercent is null ? new("cap", null, "no cap in this plan")
            : cpulimit is null ? new("cap", null, "no cgroup access and no cpulimit on PATH: not enforced")
            : new("cap", $"{cpulimit.Executable} -l {CpulimitCap.Limit(plan)} -z", "reactive: short spikes pass above the cap");
        return new Confinement(new LaunchConfinement([], plan.Cpus, plan.YieldsFromStart),
        [
            cap,
            new("cpus", $"sched_setaffinity {plan.CpuListText} (llmgw-launch --cpus)"),
            YieldText.Part(plan, plan.YieldsFromStart ? "SCHED_IDLE (llmgw-launch --sched-idle)" : "SCHED_IDLE on every thread"),
            .. MemoryPart(plan),
        ]);
    }

    public void Started(int pid)
    {
        if (_plan is not null)
        {
            cpulimit?.Start(pid, _plan);
        }
    }

    public void Exited(int pid) => cpulimit?.Stop(pid);

    public string? SetCap(CpuPlan plan)
    {
        _plan = plan;
        if (cpulimit is null)
        {
            return "no cgroup access and no cpulimit on PATH";
        }

        cpulimit.Change(plan);
        return null;
    }

    public string? SetIdle(int pid, bool idle) => OperatingSystem.IsLinux()
        ? ThreadScheduling.SetIdle(pid, idle) is { Count: > 0 } failures ? string.Join("; ", failures) : null
        : "thread scheduling is Linux's";

    public ConfinedUsage? ReadUsage() => null;

    public void Dispose() => cpulimit?.Dispose();

    internal static IEnumerable<Enforcement> MemoryPart(CpuPlan plan) =>
        plan.MemoryHighBytes is null && plan.MemoryMaxBytes is null ? [] : [new("memory", null, "memory limits need cgroups (v2 memory.high and memory.max, v1 memory.soft_limit_in_bytes and memory.limit_in_bytes)")];
}
