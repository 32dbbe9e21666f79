namespace LlmGateway.Cpu;

/// <summary>Section "Cpu": one CPU budget for llama-server, and how it is enforced.</summary>
/// <remarks>
/// A user sets a profile, or a budget and a mode; everything else is derived (<see cref="CpuPlanner"/>).
/// Each derived value can still be set by an expert, and then wins.
/// </remarks>
public sealed class CpuOptions
{
    public const string Section = "Cpu";

    /// <summary>Named budget and mode: Invisible (35 %, cap and yield), Balanced (50 %, cap), Fast (100 %, none).</summary>
    public CpuProfile Profile { get; set; } = CpuProfile.Invisible;

    /// <summary>Percent of the whole machine (all its cores) llama-server may use, 1 to 100. Empty: the profile's.</summary>
    public int? BudgetPercent { get; set; }

    /// <summary>Cap (hard ceiling), Yield (only CPU nobody else wants), CapAndYield, or None. Empty: the profile's.</summary>
    public CpuMode? Mode { get; set; }

    /// <summary>Expert: --threads. Empty: the cores the budget holds (at least 1).</summary>
    public int? Threads { get; set; }

    /// <summary>Expert: --threads-batch (prompt processing, where the spikes come from). Empty: same as Threads.</summary>
    public int? ThreadsBatch { get; set; }

    /// <summary>Expert: the CPUs llama-server may run on, as a list such as "0-1,3". Empty: as many as it has threads.</summary>
    public string? Cpus { get; set; }

    /// <summary>Expert: the hard cap in percent of the machine. Empty: the budget, when the mode caps.</summary>
    public double? CapPercent { get; set; }

    /// <summary>Expert: Normal or Idle (only CPU nobody else wants). Empty: Idle when the mode yields.</summary>
    public CpuPriority? Priority { get; set; }

    /// <summary>
    /// How long a request may run while llama-server yields before it gets normal priority (within the cap) until no
    /// request is in flight; loading is always at normal priority. 0: normal priority whenever a request is in flight.
    /// -1: strict yield, idle priority always (loading too): nothing ever competes, and on a busy machine nothing runs.
    /// </summary>
    public int LatencyBudgetMilliseconds { get; set; } = 500;

    /// <summary>The cap's accounting period. Shorter periods give smoother CPU but slower decoding (research: 10 ms cost 2x).</summary>
    public int CapPeriodMicroseconds { get; set; } = 100_000;

    /// <summary>Which mechanism enforces the plan. Auto: the best this platform and its permissions allow.</summary>
    public CpuBackendKind Backend { get; set; } = CpuBackendKind.Auto;

    /// <summary>Where cgroup file systems are mounted (Linux). Changed only by tests.</summary>
    public string CgroupRoot { get; set; } = "/sys/fs/cgroup";

    /// <summary>cgroup v2 memory.high for llama-server, in bytes: reclaim pressure above it. Empty: none.</summary>
    public long? MemoryHighBytes { get; set; }

    /// <summary>cgroup v2 memory.max for llama-server, in bytes: the OOM killer above it. Empty: none.</summary>
    public long? MemoryMaxBytes { get; set; }
}

public enum CpuProfile
{
    /// <summary>The research's "invisible" service: 35 % of the machine, capped, and only CPU nobody else wants.</summary>
    Invisible,

    /// <summary>Half the machine, capped, at normal priority.</summary>
    Balanced,

    /// <summary>The whole machine, as llama-server would take it by itself.</summary>
    Fast,

    /// <summary>No preset: BudgetPercent and Mode say it all.</summary>
    Custom,
}

public enum CpuPriority
{
    Normal,

    /// <summary>SCHED_IDLE on Linux, the idle priority class on Windows, background QoS on macOS.</summary>
    Idle,
}

[Flags]
public enum CpuMode
{
    None = 0,
    Cap = 1,
    Yield = 2,
    CapAndYield = Cap | Yield,
}

public enum CpuBackendKind
{
    Auto,
    CgroupV2,
    CgroupV1,

    /// <summary>Linux without cgroup access: affinity and SCHED_IDLE set by the launcher, the cap by cpulimit.</summary>
    Scheduler,

    WindowsJob,

    /// <summary>cpulimit for the cap (reactive), taskpolicy -b for yield (macOS).</summary>
    Cpulimit,

    None,
}
