using System.Globalization;

namespace LlmGateway.Tests;

/// <summary>The kernel's own view of a process, read from /proc, to check the gateway against.</summary>
internal static class ProcStat
{
    /// <summary>utime + stime of the process, in seconds (USER_HZ is 100 on Linux).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>True once every thread of the process is stopped (state T, as after SIGSTOP): from then on it accrues no CPU time.</summary>
    public static bool AllThreadsStopped(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").All(t =>
        {
            var stat = File.ReadAllText(Path.Combine(t, "stat"));
            return stat[stat.LastIndexOf(')') + 2] == 'T';
        });

    /// <summary>The process's CPU over <paramref name="duration"/>, in percent of the whole machine.</summary>
    public static async Task<double> CpuPercentAsync(int pid, TimeSpan duration)
    {
        var (before, since) = (CpuSeconds(pid), DateTime.UtcNow);
        await Task.Delay(duration);
        return 100 * (CpuSeconds(pid) - before) / (DateTime.UtcNow - since).TotalSeconds / Environment.ProcessorCount;
    }

    /// <summary>The CPU of several processes together over <paramref name="duration"/>, in percent of the machine.</summary>
    public static async Task<double> CpuPercentAsync(IReadOnlyList<int> pids, TimeSpan duration)
    {
        var (before, since) = (pids.Sum(CpuSeconds), DateTime.UtcNow);
        await Task.Delay(duration);
        return 100 * (pids.Sum(CpuSeconds) - before) / (DateTime.UtcNow - since).TotalSeconds / Environment.ProcessorCount;
    }

    /// <summary>The cgroup path of the process in the v1 hierarchy of <paramref name="controller"/>.</summary>
    public static string Cgroup(int pid, string controller) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).First(p => p[1].Split(',').Contains(controller))[2];

    /// <summary>The scheduling policy of every thread (5 is SCHED_IDLE), from /proc/PID/task/*/sched.</summary>
    public static IReadOnlyList<int> ThreadPolicies(int pid) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task").Select(t => File.ReadAllLines(Path.Combine(t, "sched"))
            .First(l => l.StartsWith("policy", StringComparison.Ordinal)).Split(':')[1].Trim())
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture))];

    public static string Status(int pid, string field) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim();

    public static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    /// <summary>PIDs of running processes whose command line starts with <paramref name="program"/>'s name and contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> Find(string program, string text) =>
        [.. Directory.GetDirectories("/proc").Select(Path.GetFileName)
            .Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, CultureInfo.InvariantCulture))
            .Where(p => TryCommandLine(p) is { } c && Path.GetFileName(c.Split(' ')[0]) == program && c.Contains(text, StringComparison.Ordinal) && Posix.IsAlive(p))];

    private static string? TryCommandLine(int pid)
    {
        try
        {
            return CommandLine(pid);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
