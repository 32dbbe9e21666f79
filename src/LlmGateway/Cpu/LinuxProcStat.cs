using System.Globalization;

namespace LlmGateway.Cpu;

/// <summary>CPU and memory counters from Linux's /proc.</summary>
/// <remarks>
/// A process's CPU is the sum of its threads' schedstat run time, in nanoseconds: /proc/PID/stat counts
/// in 10 ms ticks, too coarse for 100 ms samples on a few cores. The system's comes from /proc/stat.
/// </remarks>
public static class LinuxProcStat
{
    /// <summary>Nanoseconds all threads of the process have run, or null when it is gone.</summary>
    public static long? ProcessCpuNanoseconds(int pid)
    {
        try
        {
            long total = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var schedstat = TryRead(Path.Combine(task, "schedstat"));
                if (schedstat is not null && long.TryParse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                {
                    total += ns;
                }
            }

            return total;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>(busy, total) clock ticks of all CPUs since boot, from the first line of /proc/stat.</summary>
    public static (long Busy, long Total)? SystemTicks()
    {
        var line = TryRead("/proc/stat")?.Split('\n', 2)[0];
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0); // idle + iowait
        var total = fields.Take(8).Sum(); // user nice system idle iowait irq softirq steal; guest time is already in user
        return (total - idle, total);
    }

    /// <summary>Resident memory of the process in bytes (VmRSS), or null when it is gone.</summary>
    public static long? ResidentBytes(int pid)
    {
        var status = TryRead($"/proc/{pid}/status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
