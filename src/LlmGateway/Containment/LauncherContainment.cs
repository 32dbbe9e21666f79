using System.Globalization;
using LlmGateway.Cpu;

namespace LlmGateway.Containment;

/// <summary>
/// native/launcher's llmgw-launch between the gateway and llama-server: it applies the confinement between fork and
/// exec, reports the child's PID, and kills the child when its standard input (a pipe the gateway holds) closes,
/// which the kernel does however the gateway dies.
/// </summary>
public sealed class LauncherContainment(string launcher) : IChildContainment
{
    /// <summary>The launcher's one line about itself, "llmgw-launch: child PID".</summary>
    internal const string PidPrefix = "llmgw-launch: child ";

    public string Name => "llmgw-launch";

    public bool ConfinesFromStart => true;

    public string Launcher => launcher;

    public ProcessSpec Wrap(ProcessSpec child, LaunchConfinement confinement, TimeSpan stopGrace) => child with
    {
        Executable = launcher,
        Arguments =
        [
            "--grace-ms", ((int)stopGrace.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            .. confinement.ToLauncherArguments(), "--", child.Executable, .. child.Arguments,
        ],
        HoldStandardInput = true,
    };

    public bool TryReadChildPid(string line, out int pid)
    {
        pid = 0;
        return line.StartsWith(PidPrefix, StringComparison.Ordinal)
            && int.TryParse(line.AsSpan(PidPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out pid);
    }

    public void Adopt(RunningProcess started, LaunchConfinement confinement, ChildGroup? group = null)
    {
    }
}
