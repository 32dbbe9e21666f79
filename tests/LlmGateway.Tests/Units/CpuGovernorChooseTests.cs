using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Tests.Units;

/// <summary>Which backend the governor chooses, given what a fake /sys/fs/cgroup offers and what Cpu:Backend asks for.</summary>
/// <remarks>
/// Auto tries the best first (cgroup v2, v1, then the scheduler on Linux) and keeps why the others were refused; a
/// backend named in Cpu:Backend is the only one tried. The cgroup backends read this process's real /proc/self/cgroup,
/// so the fake v2 tree puts the process's group where that file says it is.
/// </remarks>
public sealed class CpuGovernorChooseTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("llmgw-choose-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Auto_WithCgroupV2_ChoosesIt()
    {
        V2Tree();
        using var governor = Governor(CpuBackendKind.Auto);

        var confinement = governor.Prepare();

        var report = governor.Report();
        Assert.Equal("CgroupV2", report.Backend);
        Assert.Empty(report.Unavailable);
        Assert.StartsWith("cgroup v2 ", Part(confinement, "cap").By, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_WithOnlyCgroupV1_ChoosesIt_AndSaysWhyNotV2()
    {
        V1Tree();
        using var governor = Governor(CpuBackendKind.Auto);

        var confinement = governor.Prepare();

        var report = governor.Report();
        Assert.Equal("CgroupV1", report.Backend);
        var refusal = Assert.Single(report.Unavailable);
        Assert.Equal("CgroupV2", refusal.Backend);
        Assert.Contains("no cgroup v2 hierarchy", refusal.Reason, StringComparison.Ordinal);
        Assert.Equal("--join", confinement.LauncherArguments[0]);
        Assert.Equal(
            [new Enforcement("threads", "llama-server --threads 1 --threads-batch 1")],
            confinement.Parts.Take(1)); // the governor puts the thread counts before the backend's parts
    }

    [Fact]
    public void Auto_WithoutCgroupAccess_FallsToTheScheduler_NamingBothRefusals()
    {
        using var governor = Governor(CpuBackendKind.Auto);

        var confinement = governor.Prepare();

        var report = governor.Report();
        Assert.Equal("Scheduler", report.Backend);
        Assert.Equal(["CgroupV2", "CgroupV1"], report.Unavailable.Select(r => r.Backend));
        Assert.Contains($"no cgroup v1 'cpu' hierarchy at {Path.Combine(_root, "cpu")}", report.Unavailable[1].Reason, StringComparison.Ordinal);
        Assert.Equal("--cpus", confinement.LauncherArguments[0]);
    }

    [Fact]
    public void Auto_ChoosesOnce_AtTheFirstStart()
    {
        V1Tree();
        using var governor = Governor(CpuBackendKind.Auto);
        governor.Prepare();
        V2Tree(); // a better backend appears later: the running choice stays

        governor.Prepare();

        Assert.Equal("CgroupV1", governor.Report().Backend);
    }

    [Theory]
    [InlineData(CpuBackendKind.None, "None")]
    [InlineData(CpuBackendKind.Scheduler, "Scheduler")]
    public void ANamedBackendThatWorksHere_IsTheOnlyOneTried(CpuBackendKind kind, string chosen)
    {
        V2Tree();
        V1Tree();
        using var governor = Governor(kind);

        governor.Prepare();

        Assert.Equal(chosen, governor.Report().Backend);
        Assert.Empty(governor.Report().Unavailable);
    }

    [Theory]
    [InlineData(CpuBackendKind.CgroupV1, "Cpu:Backend CgroupV1 cannot work here: no cgroup v1 'cpu' hierarchy at")]
    [InlineData(CpuBackendKind.CgroupV2, "Cpu:Backend CgroupV2 cannot work here: no cgroup v2 hierarchy at")]
    [InlineData(CpuBackendKind.WindowsJob, "Cpu:Backend WindowsJob cannot work here: not on this operating system")]
    [InlineData(CpuBackendKind.Cpulimit, "Cpu:Backend Cpulimit cannot work here: not on this operating system")]
    public void ANamedBackendThatCannotWorkHere_IsAnError_NotAFallback(CpuBackendKind kind, string message)
    {
        using var governor = Governor(kind);

        var e = Assert.Throws<CpuBackendUnavailableException>(() => governor.Prepare());

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.Null(governor.Report().Backend);
    }

    private CpuGovernor Governor(CpuBackendKind backend) => new(
        Options.Create(new CpuOptions { Profile = CpuProfile.Balanced, Backend = backend, CgroupRoot = _root, Cpus = "0" }),
        new ConfigurationBuilder().Build(),
        NullLogger<CpuGovernor>.Instance);

    private static Enforcement Part(Confinement confinement, string part) => confinement.Parts.Single(p => p.Part == part);

    /// <summary>A unified hierarchy delegating cpu and cpuset, with this process's group where /proc/self/cgroup puts it.</summary>
    private void V2Tree()
    {
        var own = File.ReadAllLines("/proc/self/cgroup").Select(l => l.Split(':', 3)).Single(p => p[0] == "0")[2];
        foreach (var dir in new[] { _root, Path.Combine(_root, own.TrimStart('/')) }.Distinct())
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "cgroup.controllers"), "cpuset cpu io memory pids\n");
            File.WriteAllText(Path.Combine(dir, "cgroup.subtree_control"), "");
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    private void V1Tree()
    {
        foreach (var controller in new[] { "cpu", "cpuacct", "cpuset" })
        {
            Directory.CreateDirectory(Path.Combine(_root, controller));
            File.WriteAllText(Path.Combine(_root, controller, "cgroup.procs"), "");
        }

        File.WriteAllText(Path.Combine(_root, "cpuset", "cpuset.mems"), "0\n");
    }
}
