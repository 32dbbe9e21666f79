using System.Runtime.Versioning;
using LlmGateway.Cpu;
using LlmGateway.Interop;

namespace LlmGateway.Containment;

/// <summary>
/// Windows: each child joins the gateway's kill-on-close job right after it starts (the job's hard cap, affinity and
/// priority confine every model together), then a job of its model's own nested in it, weighted by the model's CpuWeight.
/// </summary>
/// <remarks>Compiles everywhere and is unit-tested as far as it goes here; it has not run on Windows (docs/architecture.md).</remarks>
[SupportedOSPlatform("windows")]
public sealed class JobObjectContainment(KillOnCloseJob job) : IChildContainment, IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, KillOnCloseJob> _models = new();

    public string Name => "job object";

    public bool ConfinesFromStart => false;

    public ProcessSpec Wrap(ProcessSpec child, LaunchConfinement confinement, TimeSpan stopGrace) => child;

    public bool TryReadChildPid(string line, out int pid)
    {
        pid = 0;
        return false;
    }

    public void Adopt(RunningProcess started, LaunchConfinement confinement, ChildGroup? group = null)
    {
        job.Assign(started.ProcessId);
        if (group is not null)
        {
            // A process in a job may join an empty job, which then nests inside the first (Windows 8 and later).
            _models.GetOrAdd(group.Name, _ =>
            {
                var own = KillOnCloseJob.Create();
                own.SetCpuWeight(group.Weight);
                return own;
            }).Assign(started.ProcessId);
        }
    }

    public void Dispose()
    {
        foreach (var own in _models.Values)
        {
            own.Dispose();
        }
    }
}
