namespace LlmGateway.Cpu.Backends;

/// <summary>One way of holding llama-server to a <see cref="CpuPlan"/>: cgroups, a job object, cpulimit...</summary>
/// <remarks>
/// The governor calls <see cref="Prepare"/> before every start of a child (every model's child joins the same
/// confinement), the returned launch confinement goes to llmgw-launch (which applies it between fork and exec),
/// then <see cref="Started"/> and, once that child is gone, <see cref="Exited"/>.
/// </remarks>
public interface ICpuBackend : IDisposable
{
    /// <summary>Short name, as in Cpu:Backend and the plan endpoint.</summary>
    string Name { get; }

    /// <summary>Sets up confinement for the next child. Throws <see cref="CpuBackendUnavailableException"/> when it cannot here.</summary>
    /// <param name="child">The model's own group inside the gateway's, with its weight; null joins the gateway's group itself.</param>
    Confinement Prepare(CpuPlan plan, ChildGroup? child = null);

    /// <summary>The child runs as <paramref name="pid"/>: backends that cannot act before exec act now.</summary>
    void Started(int pid);

    /// <summary>The child <paramref name="pid"/> has exited (others may still run: one per model).</summary>
    void Exited(int pid);

    /// <summary>Changes the cap of the running child and of later ones. Null when done, else why it cannot.</summary>
    string? SetCap(CpuPlan plan);

    /// <summary>
    /// Idle priority (only CPU nobody else wants) or normal priority for the running child <paramref name="pid"/>, within
    /// the cap either way. Null when done, else why it cannot be changed while the child runs.
    /// </summary>
    string? SetIdle(int pid, bool idle);

    /// <summary>CPU used by the confined children so far, from the kernel's accounting; null when this backend has none.</summary>
    ConfinedUsage? ReadUsage();

    /// <summary>CPU one model's group used so far (every start of it), in nanoseconds; null without per-model groups.</summary>
    long? ReadUsage(ChildGroup child) => null;
}

/// <summary>What a backend set up for one start.</summary>
/// <param name="Launch">What the child gets between fork and exec (llmgw-launch), or late without it.</param>
/// <param name="Parts">How each part of the plan is enforced, or why it is not.</param>
public sealed record Confinement(LaunchConfinement Launch, IReadOnlyList<Enforcement> Parts)
{
    /// <summary>The launch confinement as llmgw-launch's arguments before "--".</summary>
    public IReadOnlyList<string> LauncherArguments => Launch.ToLauncherArguments();
}

/// <summary>One part of the plan (threads, cpus, cap, yield, memory) and what enforces it.</summary>
/// <param name="By">The mechanism and its setting; null when nothing enforces it.</param>
/// <param name="Note">Why not, or a caveat (such as "reactive").</param>
public sealed record Enforcement(string Part, string? By, string? Note = null);

/// <summary>Cumulative counters of the child's cgroup or job.</summary>
public sealed record ConfinedUsage(long CpuNanoseconds, long? ThrottledPeriods, long? ThrottledNanoseconds);

/// <summary>How each backend describes the yield part of a plan.</summary>
public static class YieldText
{
    /// <summary>The enforcement of the yield part, <paramref name="by"/> being the mechanism that switches the priority.</summary>
    public static Enforcement Part(CpuPlan plan, string by) =>
        !plan.Yield ? new("yield", null, "this plan does not yield")
        : plan.YieldsFromStart ? new("yield", $"{by}, from the start (strict: Cpu:LatencyBudgetMilliseconds=-1)", "loading waits for idle CPU")
        : new("yield", $"{by} while no request has waited {plan.LatencyBudgetMilliseconds} ms (Cpu:LatencyBudgetMilliseconds)",
            "normal priority within the cap while loading and while a request is late");
}

/// <summary>The backend cannot work here (no cgroup access, not this OS, tool missing); the message says why.</summary>
public sealed class CpuBackendUnavailableException(string message) : Exception(message);
