using System.Globalization;

namespace Soak;

/// <summary>Reads /proc for the gateway (RSS, threads, open files) and llama-server (RSS, its --cache-ram, its memory cgroup).</summary>
public sealed class ProcessSampler(int gatewayPid)
{
    private int? _lastChild;
    private string? _memoryGroup;

    /// <summary>--cache-ram on the child's command line, as the gateway derived it.</summary>
    public int? CacheRamMiB { get; private set; }

    /// <summary>memory.limit_in_bytes of the child's cgroup v1 memory group (null: none, or not v1).</summary>
    public long? MemoryLimitBytes { get; private set; }

    public async Task<Sample> SampleAsync(GatewayProbe gateway, TimeSpan elapsed, long requests)
    {
        var status = Status(gatewayPid);
        var (_, child) = await gateway.ReadyAsync();
        long childRss = 0;
        long? cgroupBytes = null;
        if (child is { } pid)
        {
            childRss = Status(pid).GetValueOrDefault("VmRSS") * 1024;
            if (pid != _lastChild)
            {
                _lastChild = pid;
                ReadChildFacts(pid);
            }

            cgroupBytes = _memoryGroup is null ? null : ReadLong(Path.Combine(_memoryGroup, "memory.usage_in_bytes"));
        }

        return new Sample(elapsed, status.GetValueOrDefault("VmRSS") * 1024, (int)status.GetValueOrDefault("Threads"), CountFds(gatewayPid),
            child, childRss, cgroupBytes, requests);
    }

    private void ReadChildFacts(int pid)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var i = Array.IndexOf(args, "--cache-ram");
            CacheRamMiB = i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
            // cgroup v1 lines read "N:memory:/path"; v2's single line "0::/path" has no controller name.
            var line = File.ReadAllLines($"/proc/{pid}/cgroup").FirstOrDefault(l => l.Split(':') is [_, var c, _] && c.Split(',').Contains("memory"));
            _memoryGroup = line is null ? null : "/sys/fs/cgroup/memory" + line.Split(':')[2];
            var limit = _memoryGroup is null ? null : ReadLong(Path.Combine(_memoryGroup, "memory.limit_in_bytes"));
            MemoryLimitBytes = limit is > 0 and < long.MaxValue / 2 ? limit : null; // "no limit" reads as a huge number
        }
        catch (IOException)
        {
        }
    }

    private static Dictionary<string, long> Status(int pid)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                var colon = line.IndexOf(':');
                var value = line[(colon + 1)..].Trim().Split(' ')[0];
                if (colon > 0 && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    result[line[..colon]] = n;
                }
            }
        }
        catch (IOException)
        {
        }

        return result;
    }

    private static int CountFds(int pid)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
