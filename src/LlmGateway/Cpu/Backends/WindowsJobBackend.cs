using System.ComponentModel;
using System.Globalization;
using System.Runtime.Versioning;
using LlmGateway.Interop;

namespace LlmGateway.Cpu.Backends;

/// <summary>Windows: the gateway's kill-on-close job object carries a hard CPU rate, the affinity and the idle priority class.</summary>
/// <remarks>
/// The supervisor assigns the child to the job right after it starts, as CliWrap cannot start it
/// suspended, so its first milliseconds run unconfined. The job is shared and lives as long as the
/// gateway (closing it would kill the child), so this backend neither assigns nor disposes it.
/// </remarks>
[SupportedOSPlatform("windows")]
public sealed class WindowsJobBackend(KillOnCloseJob job) : ICpuBackend
{
    private const string AfterStart = "applies once the child joins the job, right after it starts: its first milliseconds run unconfined";

    private ulong? _mask;

    public string Name => "windows-job";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null)
    {
        var mask = plan.Cpus.All(c => c is >= 0 and < 64) ? AffinityMask(plan.Cpus) : (ulong?)null;
        var rate = ApplyCap(plan);
        _mask = mask;
        Win32(() => job.SetLimits(mask, plan.YieldsFromStart));
        return new Confinement(LaunchConfinement.None,
        [
            rate is null ? new("cap", null, "no cap in this plan") : new("cap", $"job object CPU rate {rate}/10000 of the machine (hard cap)", AfterStart),
            mask is { } m ? new("cpus", $"job object affinity 0x{m.ToString("X", CultureInfo.InvariantCulture)} ({plan.CpuListText})", AfterStart)
                : new("cpus", null, "a job's affinity reaches only CPUs 0-63 (one processor group)"),
            YieldText.Part(plan, "job object IDLE_PRIORITY_CLASS"),
            .. SchedulerBackend.MemoryPart(plan),
        ]);
    }

    public void Started(int pid)
    {
    }

    public void Exited(int pid)
    {
    }

    public string? SetCap(CpuPlan plan)
    {
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
        try
        {
            Win32(() => job.SetLimits(_mask, idle));
            return null;
        }
        catch (CpuBackendUnavailableException e)
        {
            return e.Message;
        }
    }

    /// <summary>The job's total, exited children included: the sampler takes differences within one child's life.</summary>
    public ConfinedUsage? ReadUsage()
    {
        try
        {
            return new ConfinedUsage(job.ReadCpuTime().Ticks * 100, null, null);
        }
        catch (Win32Exception)
        {
            return null; // the sampler falls back to the process's own count
        }
    }

    public void Dispose()
    {
    }

    /// <summary>One bit per CPU, as JOBOBJECT_BASIC_LIMIT_INFORMATION.Affinity takes them.</summary>
    internal static ulong AffinityMask(IReadOnlyList<int> cpus)
    {
        var mask = 0UL;
        foreach (var cpu in cpus)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cpu);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(cpu, 63);
            mask |= 1UL << cpu;
        }

        return mask;
    }

    /// <summary>The plan's cap is a percent of its cores; the job's rate is of every processor the machine has.</summary>
    internal static double PercentOfMachine(double percentOfCores, double cores, int machineProcessors) =>
        machineProcessors > cores ? percentOfCores * cores / machineProcessors : percentOfCores;

    private uint? ApplyCap(CpuPlan plan)
    {
        var percent = plan.CapPercent is { } p ? PercentOfMachine(p, plan.Cores, (int)WindowsInterop.GetActiveProcessorCount(WindowsInterop.AllProcessorGroups)) : (double?)null;
        Win32(() => job.SetCpuRate(percent));
        return percent is { } q ? KillOnCloseJob.CpuRate(q) : null;
    }

    private static void Win32(Action call)
    {
        try
        {
            call();
        }
        catch (Win32Exception e)
        {
            throw new CpuBackendUnavailableException(e.Message);
        }
    }
}
