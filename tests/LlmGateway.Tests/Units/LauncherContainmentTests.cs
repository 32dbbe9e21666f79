using LlmGateway.Containment;
using LlmGateway.Cpu;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Tests.Units;

/// <summary>The launch as data: the confinement as llmgw-launch's options, the launcher's wrap and its one line about the child, and the direct pass-through.</summary>
public sealed class LauncherContainmentTests
{
    private static readonly ProcessSpec Child = new("/opt/llama-server", ["--model", "m.gguf", "--port", "0"]) { OnOutputLine = _ => { } };

    [Fact]
    public void ToLauncherArguments_JoinsInOrder_ThenCpus_ThenSchedIdle()
    {
        var confinement = new LaunchConfinement(["/sys/fs/cgroup/a/cgroup.procs", "/sys/fs/cgroup/b/cgroup.procs"], [0, 1, 2, 5], SchedIdle: true);

        Assert.Equal(
            ["--join", "/sys/fs/cgroup/a/cgroup.procs", "--join", "/sys/fs/cgroup/b/cgroup.procs", "--cpus", CpuList.Format([0, 1, 2, 5]), "--sched-idle"],
            confinement.ToLauncherArguments());
        Assert.False(confinement.IsEmpty);
    }

    [Fact]
    public void ToLauncherArguments_LeavesOutWhatIsNotSet()
    {
        Assert.Empty(LaunchConfinement.None.ToLauncherArguments());
        Assert.True(LaunchConfinement.None.IsEmpty);
        Assert.Equal(["--cpus", "3"], new LaunchConfinement([], [3], false).ToLauncherArguments());
        Assert.Equal(["--sched-idle"], new LaunchConfinement([], null, true).ToLauncherArguments());
    }

    [Fact]
    public void Wrap_PutsGrace_Confinement_DoubleDash_ThenTheChild_AndHoldsStandardInput()
    {
        var launcher = new LauncherContainment("/opt/llmgw-launch");
        var confinement = new LaunchConfinement(["/cg/cgroup.procs"], null, SchedIdle: true);

        var spec = launcher.Wrap(Child, confinement, TimeSpan.FromSeconds(2.5));

        Assert.Equal("/opt/llmgw-launch", spec.Executable);
        Assert.Equal(
            ["--grace-ms", "2500", "--join", "/cg/cgroup.procs", "--sched-idle", "--", "/opt/llama-server", "--model", "m.gguf", "--port", "0"],
            spec.Arguments);
        Assert.True(spec.HoldStandardInput);
        Assert.Same(Child.OnOutputLine, spec.OnOutputLine); // the child's output still reaches the supervisor
        Assert.True(launcher.ConfinesFromStart);
    }

    [Fact]
    public void Wrap_WithoutConfinement_IsGraceAndChildOnly()
    {
        var spec = new LauncherContainment("/opt/llmgw-launch").Wrap(Child, LaunchConfinement.None, TimeSpan.FromSeconds(5));

        Assert.Equal(["--grace-ms", "5000", "--", "/opt/llama-server", "--model", "m.gguf", "--port", "0"], spec.Arguments);
    }

    [Fact]
    public void TryReadChildPid_ParsesTheLaunchersLine()
    {
        Assert.True(new LauncherContainment("/l").TryReadChildPid("llmgw-launch: child 123", out var pid));
        Assert.Equal(123, pid);
    }

    [Theory]
    [InlineData("llmgw-launch: child ")]
    [InlineData("llmgw-launch: child -5")]
    [InlineData("llmgw-launch: child 12x")]
    [InlineData("llmgw-launch: child  123")]
    [InlineData("llmgw-launch: child 99999999999")]
    [InlineData("LLMGW-LAUNCH: child 123")]
    [InlineData("main: llmgw-launch: child 123")]
    [InlineData("srv  load_model: loading model 'm.gguf'")]
    [InlineData("")]
    public void TryReadChildPid_RefusesEveryOtherLine(string line)
    {
        Assert.False(new LauncherContainment("/l").TryReadChildPid(line, out var pid));
        Assert.Equal(0, pid);
    }

    [Fact]
    public void DirectContainment_PassesTheChildThrough_AndReadsNoPid()
    {
        var direct = new DirectContainment(NullLogger<DirectContainment>.Instance);

        var spec = direct.Wrap(Child, new LaunchConfinement([], [0], true), TimeSpan.FromSeconds(5));

        Assert.Same(Child, spec);
        Assert.False(spec.HoldStandardInput);
        Assert.False(direct.ConfinesFromStart);
        Assert.False(direct.TryReadChildPid("llmgw-launch: child 123", out var pid));
        Assert.Equal(0, pid);
    }

    [Fact]
    public void DirectContainment_AdoptWithoutConfinement_DoesNothing()
    {
        var direct = new DirectContainment(NullLogger<DirectContainment>.Instance);

        direct.Adopt(new RunningProcess(4_000_001, Task.FromResult(new ProcessExit(0, TimeSpan.Zero))), LaunchConfinement.None);
    }
}
