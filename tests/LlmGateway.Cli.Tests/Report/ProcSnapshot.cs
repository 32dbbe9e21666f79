using System.Globalization;

namespace LlmGateway.Cli.Tests.Report;

/// <summary>What /proc says about one process now: CPU time used so far (all threads), parent, name and RSS.</summary>
public sealed record ProcSnapshot(int Pid, int ParentPid, string Name, double CpuSeconds, long RssBytes)
{
    /// <summary>Linux reports utime and stime in USER_HZ, which is 100 on every Linux ABI .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The process now; null when it does not exist (or this is not Linux).</summary>
    public static ProcSnapshot? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The name is in parentheses and may itself hold spaces or parentheses: the fields start after the last ')'.
            var close = stat.LastIndexOf(')');
            var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            // After the name: state(0) ppid(1) ... utime(11) stime(12).
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return new ProcSnapshot(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), name, ticks / TicksPerSecond, Rss(pid));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
