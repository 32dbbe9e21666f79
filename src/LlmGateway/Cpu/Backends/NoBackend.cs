namespace LlmGateway.Cpu.Backends;

/// <summary>Cpu:Backend None: only the thread counts on llama-server's command line hold the budget.</summary>
public sealed class NoBackend : ICpuBackend
{
    public string Name => "none";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null) => new(LaunchConfinement.None,
    [
        new("cap", null, plan.CapPercent is null ? "no cap in this plan" : "Cpu:Backend is None"),
        new("cpus", null, "Cpu:Backend is None"),
        new("yield", null, plan.Yield ? "Cpu:Backend is None" : "this plan does not yield"),
        .. SchedulerBackend.MemoryPart(plan),
    ]);

    public void Started(int pid)
    {
    }

    public void Exited(int pid)
    {
    }

    public string? SetCap(CpuPlan plan) => "Cpu:Backend is None";

    public string? SetIdle(int pid, bool idle) => "Cpu:Backend is None";

    public ConfinedUsage? ReadUsage() => null;

    public void Dispose()
    {
    }
}
