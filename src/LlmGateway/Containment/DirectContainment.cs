using LlmGateway.Cpu;

namespace LlmGateway.Containment;

/// <summary>No launcher: llama-server runs directly, is confined once it runs, and would outlive a gateway killed with SIGKILL.</summary>
public sealed partial class DirectContainment(ILogger<DirectContainment> logger) : IChildContainment
{
    public string Name => "none";

    public bool ConfinesFromStart => false;

    public ProcessSpec Wrap(ProcessSpec child, LaunchConfinement confinement, TimeSpan stopGrace) => child;

    public bool TryReadChildPid(string line, out int pid)
    {
        pid = 0;
        return false;
    }

    public void Adopt(RunningProcess started, LaunchConfinement confinement, ChildGroup? group = null)
    {
        if (!confinement.IsEmpty)
        {
            var failures = LateConfinement.Apply(started.ProcessId, confinement);
            LogLate(logger, started.ProcessId, failures.Count == 0 ? "applied" : string.Join("; ", failures));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "llama-server (pid {Pid}) started without llmgw-launch: its CPU confinement came after its start ({Outcome})")]
    private static partial void LogLate(ILogger logger, int pid, string outcome);
}
