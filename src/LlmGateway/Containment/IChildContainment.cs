using LlmGateway.Cpu;

namespace LlmGateway.Containment;

/// <summary>How a child is tied to the gateway's life and confined from its start: the launcher, a Windows job, or nothing.</summary>
/// <remarks>One is chosen at start-up (<see cref="ContainmentChoice"/>) and registered in DI; every model's supervisor uses it.</remarks>
public interface IChildContainment
{
    /// <summary>Short name for logs and /admin.</summary>
    string Name { get; }

    /// <summary>Whether the child is confined before its first instruction (else <see cref="Adopt"/> confines it late).</summary>
    bool ConfinesFromStart { get; }

    /// <summary>The spec to run for <paramref name="child"/>: the child itself, or a launcher that runs it.</summary>
    ProcessSpec Wrap(ProcessSpec child, LaunchConfinement confinement, TimeSpan stopGrace);

    /// <summary>The child's PID from a line of output, when a launcher between reports it; false for every other line.</summary>
    bool TryReadChildPid(string line, out int pid);

    /// <summary>The process started: tie it to the gateway now (a job) and confine it late when that did not happen at its start.</summary>
    /// <param name="group">The model's group: where a containment has groups of its own (a job per model), the child joins its model's.</param>
    void Adopt(RunningProcess started, LaunchConfinement confinement, ChildGroup? group = null);
}
