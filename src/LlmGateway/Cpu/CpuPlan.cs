namespace LlmGateway.Cpu;

/// <summary>What the budget means on this machine: the numbers every backend enforces.</summary>
/// <param name="Cores">
/// The machine's capacity in cores, which percentages are of: the CPUs this process may use, or less when its
/// cgroup limits CPU time (a container with --cpus 1.5).
/// </param>
/// <param name="Cpus">The CPUs llama-server may run on (affinity or cpuset).</param>
/// <param name="CapPercent">Hard ceiling in percent of the machine; null for none.</param>
/// <param name="Yield">Run at idle priority: only CPU nobody else wants (while nothing waits, unless strict).</param>
/// <param name="LatencyBudgetMilliseconds">How long a request may wait at idle priority; -1: idle always (strict).</param>
public sealed record CpuPlan(
    CpuProfile Profile,
    int BudgetPercent,
    CpuMode Mode,
    double Cores,
    int Threads,
    int ThreadsBatch,
    IReadOnlyList<int> Cpus,
    double? CapPercent,
    int CapPeriodMicroseconds,
    bool Yield,
    long? MemoryHighBytes,
    long? MemoryMaxBytes,
    int LatencyBudgetMilliseconds = -1)
{
    /// <summary>Idle priority from the first instruction, loading included: the strict yield. Otherwise the child starts at normal priority.</summary>
    public bool YieldsFromStart => Yield && LatencyBudgetMilliseconds < 0;

    /// <summary>The cap as CPU time per period over all cores: cpu.max's and cfs_quota_us's quota; the kernel's minimum is 1 ms.</summary>
    public long? CapQuotaMicroseconds => CapPercent is { } p ? Math.Max(1000, (long)Math.Round(p / 100 * Cores * CapPeriodMicroseconds)) : null;

    /// <summary>The CPU list in Linux's notation.</summary>
    public string CpuListText => CpuList.Format(Cpus);

    /// <summary>Plans are equal when every part is: the CPU list by its CPUs, not by which list object holds them (a
    /// plan made again from the same settings is the same plan, so a reload that changes only the cap needs no restart).</summary>
    public bool Equals(CpuPlan? other) =>
        other is not null
        && (Profile, BudgetPercent, Mode, Cores, Threads, ThreadsBatch, CapPercent, CapPeriodMicroseconds, Yield, MemoryHighBytes, MemoryMaxBytes, LatencyBudgetMilliseconds)
            == (other.Profile, other.BudgetPercent, other.Mode, other.Cores, other.Threads, other.ThreadsBatch, other.CapPercent, other.CapPeriodMicroseconds, other.Yield, other.MemoryHighBytes, other.MemoryMaxBytes, other.LatencyBudgetMilliseconds)
        && Cpus.SequenceEqual(other.Cpus);

    public override int GetHashCode() => HashCode.Combine(Profile, BudgetPercent, Mode, Threads, ThreadsBatch, CapPercent, CpuListText);
}
