using System.Globalization;
using CliWrap;

namespace LlmGateway.Cpu.Backends;

/// <summary>macOS and other systems without cgroups or job objects: cpulimit for the cap, background QoS for yield.</summary>
/// <remarks>
/// Nothing here acts before exec: cpulimit and taskpolicy take a running PID, so the child's first
/// moments are unconfined (seconds of model loading, not generation). macOS has no CPU affinity to set.
/// </remarks>
public sealed class CpulimitBackend(CpulimitCap? cpulimit, ILogger logger) : ICpuBackend
{
    private CpuPlan? _plan;

    public string Name => "cpulimit";

    public Confinement Prepare(CpuPlan plan, ChildGroup? child = null)
    {
        _plan = plan;
        if (cpulimit is null && plan.CapPercent is not null)
        {
            throw new CpuBackendUnavailableException("cpulimit is not on PATH (brew install cpulimit, apt-get install cpulimit)");
        }

        return new Confinement(LaunchConfinement.None,
        [
            plan.CapPercent is null ? new("cap", null, "no cap in this plan")
                : new("cap", $"{cpulimit!.Executable} -l {CpulimitCap.Limit(plan)} -z", "reactive: short spikes pass above the cap"),
            new("cpus", null, "this system offers no CPU affinity to another process"),
            // taskpolicy and renice act once, after the start: this backend cannot switch back for a late request.
            !plan.Yield ? new("yield", null, "this plan does not yield")
                : OperatingSystem.IsMacOS() ? new("yield", "taskpolicy -b (background QoS), after start", "always: no switch to normal priority for a late request here")
                : new("yield", "renice 19, after start", "no idle scheduling class here; nice is the nearest, always"),
            .. SchedulerBackend.MemoryPart(plan),
        ]);
    }

    public void Started(int pid)
    {
        if (_plan is null)
        {
            return;
        }

        cpulimit?.Start(pid, _plan);
        if (_plan.Yield)
        {
            var p = pid.ToString(CultureInfo.InvariantCulture);
            var (tool, args) = OperatingSystem.IsMacOS() ? ("taskpolicy", new[] { "-b", "-p", p }) : ("renice", new[] { "-n", "19", "-p", p });
            _ = Cli.Wrap(tool).WithArguments(args).WithValidation(CommandResultValidation.None).ExecuteAsync().Task.ContinueWith(
                t => logger.LogWarning("{Tool} could not lower llama-server's priority: {Reason}", tool, t.Exception?.GetBaseException().Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    public void Exited(int pid) => cpulimit?.Stop(pid);

    public string? SetCap(CpuPlan plan)
    {
        _plan = plan;
        if (cpulimit is null)
        {
            return "cpulimit is not on PATH";
        }

        cpulimit.Change(plan);
        return null;
    }

    public string? SetIdle(int pid, bool idle) => "the priority set after start stays: taskpolicy and renice cannot be undone here without privileges";

    public ConfinedUsage? ReadUsage() => null;

    public void Dispose() => cpulimit?.Dispose();
}
