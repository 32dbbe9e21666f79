using System.Globalization;
using System.Runtime.InteropServices;
using LlmGateway.Interop;

namespace LlmGateway.Cpu;

/// <summary>Linux's per-thread scheduling calls, applied to every thread of a running process.</summary>
/// <remarks>
/// Affinity and the scheduling policy belong to threads, not processes: each existing thread gets them, and
/// threads created later inherit them from the thread that creates them (ggml's workers from llama-server's
/// main loop), so setting every thread once covers the process.
/// </remarks>
public static class ThreadScheduling
{
    /// <summary>SCHED_IDLE (only CPU nobody else wants) or SCHED_OTHER (normal) on every thread; returns what failed.</summary>
    public static IReadOnlyList<string> SetIdle(int pid, bool idle)
    {
        List<string> failures = [];
        ForEachThread(pid, tid =>
        {
            var param = new LinuxInterop.SchedParam();
            return LinuxInterop.SchedSetScheduler(tid, idle ? LinuxInterop.SchedIdle : LinuxInterop.SchedOther, ref param);
        }, idle ? "SCHED_IDLE" : "SCHED_OTHER", failures);
        return failures;
    }

    /// <summary>The affinity of every thread; returns what failed.</summary>
    public static IReadOnlyList<string> SetAffinity(int pid, IReadOnlyList<int> cpus)
    {
        var mask = new ulong[(cpus.Max() / 64) + 1];
        foreach (var c in cpus)
        {
            mask[c / 64] |= 1UL << (c % 64);
        }

        List<string> failures = [];
        ForEachThread(pid, tid => LinuxInterop.SchedSetAffinity(tid, (nuint)(mask.Length * 8), mask), "sched_setaffinity", failures);
        return failures;
    }

    private static void ForEachThread(int pid, Func<int, int> call, string what, List<string> failures)
    {
        var tasks = Directory.Exists($"/proc/{pid}/task") ? Directory.GetDirectories($"/proc/{pid}/task") : [];
        foreach (var task in tasks)
        {
            // A thread that ended since the listing (ESRCH) is no failure.
            if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)
                && call(tid) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != Esrch)
            {
                failures.Add($"{what} failed for thread {tid}: errno {errno}");
            }
        }
    }

    private const int Esrch = 3;
}
