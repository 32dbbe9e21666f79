using System.Diagnostics;
using LlmGateway.Cpu;

namespace LlmGateway.Tests;

/// <summary>Without the launcher, the confinement it would have applied before exec is applied to the running child.</summary>
public sealed class LateConfinementTests
{
    [Fact]
    public void RunningProcess_GetsTheJoin_TheAffinity_AndSchedIdle_OnEveryThread()
    {
        var join = Path.GetTempFileName();
        var cpu = Environment.ProcessorCount - 1;
        using var child = Process.Start("sleep", "30");
        try
        {
            var failures = LateConfinement.Apply(child.Id, new LaunchConfinement([join], [cpu], SchedIdle: true));

            Assert.Empty(failures);
            Assert.Equal($"{child.Id}", File.ReadAllText(join));
            Assert.Equal($"{cpu}", ProcStat.Status(child.Id, "Cpus_allowed_list"));
            Assert.All(ProcStat.ThreadPolicies(child.Id), p => Assert.Equal(5, p));
        }
        finally
        {
            child.Kill();
            File.Delete(join);
        }
    }

    [Fact]
    public void JoinThatFails_IsReported_NotThrown()
    {
        using var child = Process.Start("sleep", "30");
        try
        {
            var failures = LateConfinement.Apply(child.Id, new LaunchConfinement(["/nonexistent/cgroup.procs"], null, false));

            Assert.Contains(failures, f => f.Contains("/nonexistent/cgroup.procs", StringComparison.Ordinal));
        }
        finally
        {
            child.Kill();
        }
    }
}
