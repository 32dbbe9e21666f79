using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;

namespace LlmGateway.Tests.Units;

/// <summary>Cpu:Backend None: only the thread counts hold the budget, and the plan says so for every part.</summary>
public sealed class NoBackendTests
{
    [Fact]
    public void EveryPart_IsReportedUnenforced_NamingTheSetting()
    {
        using var backend = new NoBackend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible, MemoryMaxBytes = 1L << 30 }));

        Assert.Empty(confinement.LauncherArguments);
        Assert.Equal(
            [
                new Enforcement("cap", null, "Cpu:Backend is None"),
                new Enforcement("cpus", null, "Cpu:Backend is None"),
                new Enforcement("yield", null, "Cpu:Backend is None"),
            ],
            confinement.Parts.Take(3));
        Assert.Null(confinement.Parts.Single(p => p.Part == "memory").By);
    }

    [Fact]
    public void APlanWithoutCapOrYield_SaysThatInstead()
    {
        using var backend = new NoBackend();

        var confinement = backend.Prepare(Plan(new() { Profile = CpuProfile.Fast }));

        Assert.Equal(new Enforcement("cap", null, "no cap in this plan"), confinement.Parts[0]);
        Assert.Equal(new Enforcement("yield", null, "this plan does not yield"), confinement.Parts[2]);
        Assert.DoesNotContain(confinement.Parts, p => p.Part == "memory");
    }

    [Fact]
    public void LiveChanges_AreRefused_WithTheReason()
    {
        using var backend = new NoBackend();
        backend.Prepare(Plan(new() { Profile = CpuProfile.Invisible }));
        backend.Started(Environment.ProcessId);

        Assert.Equal("Cpu:Backend is None", backend.SetCap(Plan(new() { Profile = CpuProfile.Balanced })));
        Assert.Equal("Cpu:Backend is None", backend.SetIdle(Environment.ProcessId, idle: true));
        Assert.Null(backend.ReadUsage());
        backend.Exited(1);
    }

    private static CpuPlan Plan(CpuOptions options) => CpuPlanner.Plan(options, [0, 1]);
}
