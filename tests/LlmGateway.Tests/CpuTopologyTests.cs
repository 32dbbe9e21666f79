using LlmGateway.Cpu;

namespace LlmGateway.Tests;

/// <summary>A container's CPU limit is the machine the budget is a percent of; read from fake cgroup trees laid out as the kernel does.</summary>
public sealed class CpuTopologyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("llmgw-topology-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void V2ContainerWithOneAndAHalfCpus_IsOneAndAHalfCores()
    {
        var self = Write("proc-self-cgroup", "0::/\n");
        Write("cpu.max", "150000 100000\n");

        Assert.Equal(1.5, CpuTopology.CgroupLimitCores(_root, self));
    }

    [Fact]
    public void V2_TheTightestOfTheGroupAndItsAncestors_Counts()
    {
        var self = Write("proc-self-cgroup", "0::/system.slice/llmgateway.service\n");
        Write("system.slice/cpu.max", "50000 100000\n");
        Write("system.slice/llmgateway.service/cpu.max", "max 100000\n");

        Assert.Equal(0.5, CpuTopology.CgroupLimitCores(_root, self));
    }

    [Fact]
    public void V1Quota_IsReadFromTheCpuHierarchy()
    {
        var self = Write("proc-self-cgroup", "3:cpuset:/\n1:cpu:/docker/abc\n0::/\n");
        Write("cpu/docker/abc/cpu.cfs_quota_us", "300000\n");
        Write("cpu/docker/abc/cpu.cfs_period_us", "100000\n");
        Write("cpu/cpu.cfs_quota_us", "-1\n");
        Write("cpu/cpu.cfs_period_us", "100000\n");

        Assert.Equal(3.0, CpuTopology.CgroupLimitCores(_root, self));
    }

    [Fact]
    public void NoLimitAnywhere_IsNull()
    {
        var self = Write("proc-self-cgroup", "1:cpu:/\n0::/\n");
        Write("cpu.max", "max 100000\n");
        Write("cpu/cpu.cfs_quota_us", "-1\n");
        Write("cpu/cpu.cfs_period_us", "100000\n");

        Assert.Null(CpuTopology.CgroupLimitCores(_root, self));
    }

    [Fact]
    public void PlanInALimitedContainer_TakesThePercentOfTheLimit_NotOfTheHost()
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Balanced }, [0, 1, 2, 3], limitCores: 1.5);

        Assert.Equal(1.5, plan.Cores);
        Assert.Equal(1, plan.Threads);
        Assert.Equal(75_000, plan.CapQuotaMicroseconds); // half of 1.5 cores per 100 ms period
        Assert.Equal("3", plan.CpuListText);
    }

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}
