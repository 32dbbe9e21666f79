using System.Diagnostics;
using System.Globalization;
using LlmGateway.Cpu.Backends;

namespace LlmGateway.Cpu;

/// <summary>"The machine" that budgets are a percent of: the CPUs this process may run on, and the CPU time its cgroup allows.</summary>
/// <remarks>
/// In a container limited to 1.5 CPUs, a 50 % budget is 0.75 of a core, not half the host: the limit of the
/// gateway's own cgroup (cpu.max on v2, cfs_quota_us on v1, the tightest of the group and its ancestors) counts.
/// </remarks>
public static class CpuTopology
{
    public static IReadOnlyList<int> AvailableCpus()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            // The affinity mask, so a cpuset or a taskset limits the machine as the kernel does.
            var mask = (ulong)(long)Process.GetCurrentProcess().ProcessorAffinity;
            var cpus = Enumerable.Range(0, 64).Where(c => (mask & (1UL << c)) != 0).ToList();
            if (cpus.Count > 0)
            {
                return cpus;
            }
        }

        return [.. Enumerable.Range(0, Environment.ProcessorCount)];
    }

    /// <summary>The CPUs' worth of time the gateway's cgroup allows, or null when it sets no limit (or this is not Linux).</summary>
    public static double? CgroupLimitCores(string root = "/sys/fs/cgroup", string procSelfCgroup = "/proc/self/cgroup")
    {
        if (!OperatingSystem.IsLinux() && root == "/sys/fs/cgroup")
        {
            return null;
        }

        var limits = new List<double>();
        if (CgroupFiles.OwnPath("", procSelfCgroup) is { } v2)
        {
            foreach (var dir in Ancestors(root, v2))
            {
                var max = CgroupFiles.Read(Path.Combine(dir, "cpu.max"))?.Split(' ', StringSplitOptions.TrimEntries);
                if (max is [var quota, var period] && quota != "max" && Cores(quota, period) is { } c)
                {
                    limits.Add(c);
                }
            }
        }

        if (CgroupFiles.OwnPath("cpu", procSelfCgroup) is { } v1)
        {
            foreach (var dir in Ancestors(Path.Combine(root, "cpu"), v1))
            {
                var quota = CgroupFiles.Read(Path.Combine(dir, "cpu.cfs_quota_us"))?.Trim();
                var period = CgroupFiles.Read(Path.Combine(dir, "cpu.cfs_period_us"))?.Trim();
                if (quota is not null && period is not null && quota != "-1" && Cores(quota, period) is { } c)
                {
                    limits.Add(c);
                }
            }
        }

        return limits.Count == 0 ? null : limits.Min();
    }

    /// <summary>The group's directory and its ancestors up to the mount; in a container the path may name the host's group, so the mount root counts too.</summary>
    private static IEnumerable<string> Ancestors(string mount, string path)
    {
        var relative = path.Trim('/');
        while (relative.Length > 0)
        {
            var dir = Path.Combine(mount, relative);
            if (Directory.Exists(dir))
            {
                yield return dir;
            }

            relative = Path.GetDirectoryName(relative) ?? "";
        }

        yield return mount;
    }

    private static double? Cores(string quota, string period) =>
        long.TryParse(quota, NumberStyles.None, CultureInfo.InvariantCulture, out var q)
        && long.TryParse(period, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 && q > 0 ? (double)q / p : null;
}
