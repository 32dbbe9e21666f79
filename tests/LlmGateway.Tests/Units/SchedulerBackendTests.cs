using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Tests.Units;

/// <summary>Linux without cgroup access: the launcher's affinity and SCHED_IDLE, cpulimit for the cap when it is there.</summary>
public sealed class SchedulerBackendTests
{
    private const int SchedIdle = 5;
    private const int SchedOther = 0;

    [Fact]
    public void Prepare_AsksTheLauncherForTheCpus_AndForSchedIdleOnlyWhenStrict()
    {
        using var backend = new SchedulerBackend(null);

        var strict = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, Cpus = "1", LatencyBudgetMilliseconds = -1 }));
        var lenient = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, Cpus = "0-1" }));

        Assert.Equal(["--cpus", "1", "--sched-idle"], strict.LauncherArguments);
        Assert.Equal(["--cpus", "0-1"], lenient.LauncherArguments);
        Assert.Equal("sched_setaffinity 0-1 (llmgw-launch --cpus)", Part(lenient, "cpus").By);
        Assert.Contains("SCHED_IDLE (llmgw-launch --sched-idle), from the start", Part(strict, "yield").By);
        Assert.Contains("SCHED_IDLE on every thread while no request has waited 500 ms", Part(lenient, "yield").By);
    }

    [Fact]
    public void Cap_IsCpulimits_WhenItIsThere_AndSaidToBeUnenforcedOtherwise()
    {
        using var limited = new SchedulerBackend(new CpulimitCap("/usr/bin/cpulimit", NullLogger.Instance));
        using var bare = new SchedulerBackend(null);
        var balanced = Plan(new() { Profile = CpuProfile.Balanced });

        var withCpulimit = Part(limited.Prepare(balanced), "cap");
        var without = Part(bare.Prepare(balanced), "cap");
        var noCap = Part(bare.Prepare(Plan(new() { Profile = CpuProfile.Fast })), "cap");

        Assert.Equal(new Enforcement("cap", "/usr/bin/cpulimit -l 100 -z", "reactive: short spikes pass above the cap"), withCpulimit); // 50 % of 2 cores
        Assert.Equal(new Enforcement("cap", null, "no cgroup access and no cpulimit on PATH: not enforced"), without);
        Assert.Equal(new Enforcement("cap", null, "no cap in this plan"), noCap);
        Assert.Equal("no cgroup access and no cpulimit on PATH", bare.SetCap(balanced));
    }

    [Fact]
    public void MemoryLimits_AreSaidToNeedCgroups()
    {
        using var backend = new SchedulerBackend(null);

        var memory = Part(backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced, MemoryMaxBytes = 1L << 30 })), "memory");

        Assert.Null(memory.By);
        Assert.StartsWith("memory limits need cgroups", memory.Note, StringComparison.Ordinal);
        Assert.DoesNotContain(backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced })).Parts, p => p.Part == "memory");
        Assert.Null(backend.ReadUsage());
    }

    [Fact]
    public async Task SetIdle_SwitchesEveryThreadOfARunningChild_BetweenSchedIdleAndNormal()
    {
        using var backend = new SchedulerBackend(null);
        using var child = System.Diagnostics.Process.Start("sleep", "300");
        try
        {
            Assert.Null(backend.SetIdle(child.Id, idle: true));
            Assert.Equal(SchedIdle, Policy(child.Id));

            Assert.Null(backend.SetIdle(child.Id, idle: false));
            Assert.Equal(SchedOther, Policy(child.Id));
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    /// <summary>The scheduling policy, field 41 of /proc/PID/stat (after the command name, which may hold spaces).</summary>
    internal static int Policy(int pid) => Field(pid, 41);

    /// <summary>Field <paramref name="n"/> (1-based, as proc(5) counts) of /proc/PID/stat.</summary>
    internal static int Field(int pid, int n)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[n - 3], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static CpuPlan Plan(CpuOptions options) => CpuPlanner.Plan(options, [0, 1]);

    private static Enforcement Part(Confinement confinement, string part) => confinement.Parts.Single(p => p.Part == part);
}
