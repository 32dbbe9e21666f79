using System.Globalization;

namespace LlmGateway.Cpu;

/// <summary>Applies the launcher's confinement to an already running child, when llama-server was started without the launcher.</summary>
/// <remarks>
/// Second best: the child ran unconfined until now. Joining cgroup.procs moves every thread; affinity and
/// SCHED_IDLE are per thread, so each existing thread gets them and threads created later inherit them.
/// </remarks>
public static class LateConfinement
{
    /// <summary>Applies the llmgw-launch arguments to <paramref name="pid"/>; returns what failed.</summary>
    public static IReadOnlyList<string> Apply(int pid, IReadOnlyList<string> launcherArguments)
    {
        List<string> failures = [];
        if (!OperatingSystem.IsLinux())
        {
            return launcherArguments.Count == 0 ? [] : ["confinement needs llmgw-launch on this system"];
        }

        var text = pid.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < launcherArguments.Count; i++)
        {
            switch (launcherArguments[i])
            {
                case "--join":
                    var file = launcherArguments[++i];
                    try
                    {
                        File.WriteAllText(file, text);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        failures.Add($"cannot join {file}: {e.Message}");
                    }

                    break;
                case "--cpus" when CpuList.TryParse(launcherArguments[++i], out var cpus):
                    failures.AddRange(ThreadScheduling.SetAffinity(pid, cpus));
                    break;
                case "--sched-idle":
                    failures.AddRange(ThreadScheduling.SetIdle(pid, idle: true));
                    break;
            }
        }

        return failures;
    }
}
