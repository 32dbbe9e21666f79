namespace LlmGateway.Cpu;

/// <summary>Turns a budget into threads, CPUs, a cap and a priority.</summary>
/// <remarks>
/// The research behind this: a cap alone over more threads than the budget holds wastes time
/// (throttling while ggml's barrier spins), and threads alone cannot express a budget between whole
/// cores. So threads and threads-batch are the cores the budget holds (at least one), the CPU set
/// matches them, and the cap at the budget is the backstop for the fraction of a core.
/// </remarks>
public static class CpuPlanner
{
    public static (int Budget, CpuMode Mode) Preset(CpuProfile profile) => profile switch
    {
        CpuProfile.Invisible => (35, CpuMode.CapAndYield),
        CpuProfile.Balanced => (50, CpuMode.Cap),
        CpuProfile.Fast => (100, CpuMode.None),
        _ => (50, CpuMode.Cap),
    };

    /// <param name="limitCores">CPU time the gateway's own cgroup allows, in cores (<see cref="CpuTopology.CgroupLimitCores"/>).</param>
    public static CpuPlan Plan(CpuOptions o, IReadOnlyList<int> available, double? limitCores = null)
    {
        var (presetBudget, presetMode) = Preset(o.Profile);
        var budget = o.BudgetPercent ?? presetBudget;
        var mode = o.Mode ?? presetMode;
        var cores = Math.Min(available.Count, limitCores ?? double.MaxValue);
        var budgetCores = Math.Max(1, (int)Math.Floor(budget * cores / 100.0 + 1e-9));

        var threads = o.Threads ?? budgetCores;
        var threadsBatch = o.ThreadsBatch ?? o.Threads ?? budgetCores;
        IReadOnlyList<int> cpus = !string.IsNullOrWhiteSpace(o.Cpus) && CpuList.TryParse(o.Cpus, out var chosen)
            ? chosen
            // The last CPUs: CPU 0 is where interrupts and most of the system's housekeeping land.
            : [.. available.TakeLast(Math.Min(available.Count, Math.Max(threads, threadsBatch)))];

        double? cap = mode.HasFlag(CpuMode.Cap) ? o.CapPercent ?? budget : o.CapPercent;
        if (cap >= 100)
        {
            cap = null; // the whole machine: nothing to cap
        }

        return new CpuPlan(o.Profile, budget, mode, cores, threads, threadsBatch, cpus, cap, o.CapPeriodMicroseconds,
            o.Priority is { } priority ? priority == CpuPriority.Idle : mode.HasFlag(CpuMode.Yield), o.MemoryHighBytes, o.MemoryMaxBytes,
            o.LatencyBudgetMilliseconds);
    }
}
