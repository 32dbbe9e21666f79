using System.Diagnostics;
using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;

namespace LlmGateway.Tests.Units;

/// <summary>The cgroup v1 backend on the real kernel: what it writes, the kernel takes; a process written to cgroup.procs is confined.</summary>
public sealed class CgroupV1KernelTests
{
    [CgroupV1KernelFact]
    public async Task RealKernel_TakesTheCapCpusetAndIdle_AndAJoinedProcessRunsInTheGroup()
    {
        // A quarter of two cores: 50 ms of CPU time per 100 ms period.
        var plan = CpuPlanner.Plan(new() { Profile = CpuProfile.Custom, BudgetPercent = 25, Mode = CpuMode.Cap, Cpus = "0" }, [0, 1]);
        string cpu;
        using (var backend = new CgroupV1Backend(CgroupV1KernelFactAttribute.Root))
        {
            var confinement = backend.Prepare(plan);
            cpu = Path.GetDirectoryName(Join(confinement, "/cpu/"))!;
            var cpuset = Path.GetDirectoryName(Join(confinement, "/cpuset/"))!;

            // Read back from the kernel: it refuses what it does not take (a quota below 1 ms, cpus it lacks).
            Assert.Equal(("50000", "100000"), (Read(cpu, "cpu.cfs_quota_us"), Read(cpu, "cpu.cfs_period_us")));
            Assert.Equal("0", Read(cpuset, "cpuset.cpus"));
            if (File.Exists(Path.Combine(cpu, "cpu.idle")))
            {
                Assert.Null(backend.SetIdle(Environment.ProcessId, idle: true));
                Assert.Equal("1", Read(cpu, "cpu.idle"));
                Assert.Null(backend.SetIdle(Environment.ProcessId, idle: false));
                Assert.Equal("0", Read(cpu, "cpu.idle"));
            }
            else
            {
                Assert.Null(backend.SetIdle(Environment.ProcessId, idle: true));
                Assert.Equal("2", Read(cpu, "cpu.shares"));
            }

            // What llmgw-launch does with each --join between fork and exec, done here to a sleeping child.
            using var sleeper = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
            try
            {
                var pid = sleeper.Id.ToString(CultureInfo.InvariantCulture);
                for (var i = 0; i < confinement.LauncherArguments.Count; i++)
                {
                    if (confinement.LauncherArguments[i] == "--join")
                    {
                        await File.WriteAllTextAsync(confinement.LauncherArguments[i + 1], pid);
                    }
                }

                Assert.Contains(pid, Read(cpu, "tasks").Split('\n'));
                Assert.Contains(pid, Read(cpuset, "cgroup.procs").Split('\n'));
                var own = await File.ReadAllTextAsync($"/proc/{pid}/cgroup");
                Assert.Contains($":cpu:/{Path.GetRelativePath(Path.Combine(CgroupV1KernelFactAttribute.Root, "cpu"), cpu)}\n", own);
                Assert.Equal("0", (await File.ReadAllLinesAsync($"/proc/{pid}/status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split('\t')[^1]);
                Assert.NotNull(backend.ReadUsage());
            }
            finally
            {
                sleeper.Kill();
                await sleeper.WaitForExitAsync();
            }

            // An exited process leaves its group at once; only then can the group go.
            await Eventually.UntilAsync(() => Read(cpu, "cgroup.procs"), procs => procs.Length == 0, $"{cpu} to have no process left");
        }

        Assert.False(Directory.Exists(cpu), $"{cpu} outlived the backend's Dispose");
    }

    private static string Join(Confinement confinement, string hierarchy) =>
        confinement.LauncherArguments.Where((_, i) => i > 0 && confinement.LauncherArguments[i - 1] == "--join")
            .Single(p => p.Contains(hierarchy, StringComparison.Ordinal));

    private static string Read(string group, string file) => File.ReadAllText(Path.Combine(group, file)).Trim();
}
