using System.Globalization;
using System.Runtime.InteropServices;
using LlmGateway.Interop;

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
                    var mask = new ulong[(cpus.Max() / 64) + 1];
                    foreach (var c in cpus)
                    {
                        mask[c / 64] |= 1UL << (c % 64);
                    }

                    ForEachThread(pid, tid => LinuxInterop.SchedSetAffinity(tid, (nuint)(mask.Length * 8), mask), "sched_setaffinity", failures);
                    break;
                case "--sched-idle":
                    ForEachThread(pid, tid =>
                    {
                        var param = new LinuxInterop.SchedParam();
                        return LinuxInterop.SchedSetScheduler(tid, LinuxInterop.SchedIdle, ref param);
                    }, "SCHED_IDLE", failures);
                    break;
            }
        }

        return failures;
    }

    private static void ForEachThread(int pid, Func<int, int> call, string what, List<string> failures)
    {
        var tasks = Directory.Exists($"/proc/{pid}/task") ? Directory.GetDirectories($"/proc/{pid}/task") : [];
        foreach (var task in tasks)
        {
            if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) && call(tid) != 0)
            {
                failures.Add($"{what} failed for thread {tid}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }
}
