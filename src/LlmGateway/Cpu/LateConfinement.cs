using System.Globalization;

namespace LlmGateway.Cpu;

/// <summary>Applies a <see cref="LaunchConfinement"/> to an already running child, when llama-server was started without the launcher.</summary>
/// <remarks>
/// Second best: the child ran unconfined until now. Joining cgroup.procs moves every thread; affinity and
/// SCHED_IDLE are per thread, so each existing thread gets them and threads created later inherit them.
/// </remarks>
public static class LateConfinement
{
    /// <summary>Applies <paramref name="confinement"/> to <paramref name="pid"/>; returns what failed.</summary>
    public static IReadOnlyList<string> Apply(int pid, LaunchConfinement confinement)
    {
        if (!OperatingSystem.IsLinux())
        {
            return confinement.IsEmpty ? [] : ["confinement needs llmgw-launch on this system"];
        }

        List<string> failures = [];
        var text = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var file in confinement.JoinFiles)
        {
            try
            {
                File.WriteAllText(file, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"cannot join {file}: {e.Message}");
            }
        }

        if (confinement.Cpus is { } cpus)
        {
            failures.AddRange(ThreadScheduling.SetAffinity(pid, cpus));
        }

        if (confinement.SchedIdle)
        {
            failures.AddRange(ThreadScheduling.SetIdle(pid, idle: true));
        }

        return failures;
    }
}
