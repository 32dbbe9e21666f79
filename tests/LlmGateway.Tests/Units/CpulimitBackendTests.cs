using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Tests.Units;

/// <summary>macOS and other systems without cgroups or job objects: cpulimit for the cap, a lower priority after start.</summary>
/// <remarks>The backend is plain .NET, so it runs here on Linux, where it lowers the priority with renice (taskpolicy is macOS's).</remarks>
public sealed class CpulimitBackendTests
{
    [Fact]
    public void CapWithoutCpulimit_IsUnavailable_SayingHowToInstallIt()
    {
        using var backend = new CpulimitBackend(null, NullLogger.Instance);

        var e = Assert.Throws<CpuBackendUnavailableException>(() => backend.Prepare(Plan(new() { Profile = CpuProfile.Balanced })));

        Assert.Equal("cpulimit is not on PATH (brew install cpulimit, apt-get install cpulimit)", e.Message);
        Assert.Equal("cpulimit is not on PATH", backend.SetCap(Plan(new() { Profile = CpuProfile.Balanced })));
    }

    [Fact]
    public void NoCap_NeedsNoCpulimit_AndNothingActsBeforeExec()
    {
        using var backend = new CpulimitBackend(null, NullLogger.Instance);

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Fast }));

        Assert.Empty(confinement.LauncherArguments);
        Assert.Equal(new Enforcement("cap", null, "no cap in this plan"), Part(confinement, "cap"));
        Assert.Equal(new Enforcement("cpus", null, "this system offers no CPU affinity to another process"), Part(confinement, "cpus"));
        Assert.Equal(new Enforcement("yield", null, "this plan does not yield"), Part(confinement, "yield"));
        Assert.Null(backend.ReadUsage());
    }

    [Fact]
    public void Cap_IsCpulimitsPercentOfOneCpu_PerCore_AndReactive()
    {
        using var backend = new CpulimitBackend(new CpulimitCap("/opt/cpulimit", NullLogger.Instance), NullLogger.Instance);

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 35, Mode = CpuMode.Cap }));

        Assert.Equal(new Enforcement("cap", "/opt/cpulimit -l 70 -z", "reactive: short spikes pass above the cap"), Part(confinement, "cap")); // 35 % of 2 cores
    }

    [Fact]
    public void Yield_IsAlwaysOnOnceStarted_AndCannotBeSwitchedBack()
    {
        using var backend = new CpulimitBackend(null, NullLogger.Instance);

        var yield = Part(backend.Prepare(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 35, Mode = CpuMode.Yield })), "yield");

        Assert.Equal(OperatingSystem.IsMacOS() ? "taskpolicy -b (background QoS), after start" : "renice 19, after start", yield.By);
        Assert.NotNull(backend.SetIdle(Environment.ProcessId, idle: false));
    }

    [Fact]
    public async Task Started_WithAYieldingPlan_LowersTheChildsPriority()
    {
        using var backend = new CpulimitBackend(null, NullLogger.Instance);
        backend.Prepare(Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 35, Mode = CpuMode.Yield }));
        using var child = System.Diagnostics.Process.Start("sleep", "300");
        try
        {
            backend.Started(child.Id);

            // renice runs in the background: the state to reach is nice 19 (field 19 of /proc/PID/stat).
            await Eventually.UntilAsync(() => SchedulerBackendTests.Field(child.Id, 19), nice => nice == 19, $"sleep (pid {child.Id}) to run at nice 19");
            backend.Exited(1);
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    private static CpuPlan Plan(CpuOptions options) => CpuPlanner.Plan(options, [0, 1]);

    private static Enforcement Part(Confinement confinement, string part) => confinement.Parts.Single(p => p.Part == part);
}
