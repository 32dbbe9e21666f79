using System.Runtime.Versioning;
using LlmGateway.Cpu;
using LlmGateway.Interop;

namespace LlmGateway.Containment;

/// <summary>Windows: each child joins the gateway's kill-on-close job right after it starts; the job's CPU limits confine it.</summary>
/// <remarks>Compiles everywhere and is unit-tested as far as it goes here; it has not run on Windows (docs/architecture.md).</remarks>
[SupportedOSPlatform("windows")]
public sealed class JobObjectContainment(KillOnCloseJob job) : IChildContainment
{
    public string Name => "job object";

    public bool ConfinesFromStart => false;

    public ProcessSpec Wrap(ProcessSpec child, LaunchConfinement confinement, TimeSpan stopGrace) => child;

    public bool TryReadChildPid(string line, out int pid)
    {
        pid = 0;
        return false;
    }

    public void Adopt(RunningProcess started, LaunchConfinement confinement) => job.Assign(started.ProcessId);
}
