namespace LlmGateway.Tests.Units;

/// <summary>A test that needs a writable cgroup v1 cpu, cpuacct and cpuset hierarchy under /sys/fs/cgroup (Linux, as root or delegated).</summary>
/// <remarks>
/// Anywhere else the test is reported as skipped, with the reason, and counted in the summary: a platform
/// that lacks cgroup v1 is not a failure of the gateway, and must not pass silently either.
/// </remarks>
public sealed class CgroupV1KernelFactAttribute : FactAttribute
{
    public const string Root = "/sys/fs/cgroup";

    private static readonly string? Missing = Probe();

    public CgroupV1KernelFactAttribute()
    {
        if (Missing is not null)
        {
            Skip = $"no writable cgroup v1 here: {Missing}";
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        foreach (var controller in new[] { "cpu", "cpuacct", "cpuset" })
        {
            if (!File.Exists(Path.Combine(Root, controller, "cgroup.procs")))
            {
                return $"no '{controller}' hierarchy at {Path.Combine(Root, controller)}";
            }
        }

        if (!File.Exists(Path.Combine(Root, "cpu", "cpu.cfs_quota_us")))
        {
            return $"{Path.Combine(Root, "cpu")} is not a cgroup v1 cpu hierarchy (no cpu.cfs_quota_us)";
        }

        // Writable only if a group can be made: mkdir and rmdir of an empty group change nothing else.
        var probe = Path.Combine(Root, "cpu", $"llmgw-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot make a group in {Path.Combine(Root, "cpu")}: {e.Message}";
        }
    }
}
