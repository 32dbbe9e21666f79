using LlmGateway.Cpu;

namespace LlmGateway.Tests;

/// <summary>The budget becomes threads, CPUs, a cap and a priority as the research says it should.</summary>
public sealed class CpuPlannerTests
{
    private static readonly int[] TwoCores = [0, 1];
    private static readonly int[] EightCores = [0, 1, 2, 3, 4, 5, 6, 7];

    [Fact]
    public void HalfBudgetOnTwoCores_OneThreadForBoth_OnTheLastCpu_CappedAtHalf()
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Balanced }, TwoCores);

        Assert.Equal((50, 1, 1, "1", 50.0, false), (plan.BudgetPercent, plan.Threads, plan.ThreadsBatch, plan.CpuListText, plan.CapPercent, plan.Yield));
        Assert.Equal(100_000, plan.CapQuotaMicroseconds); // half of two cores: one core's worth per period
    }

    [Fact]
    public void InvisibleProfile_Is35PercentCappedAndYielding()
    {
        var plan = CpuPlanner.Plan(new CpuOptions(), EightCores);

        Assert.Equal(CpuProfile.Invisible, plan.Profile);
        Assert.Equal((35, CpuMode.CapAndYield, 2, "6-7", 35.0, true), (plan.BudgetPercent, plan.Mode, plan.Threads, plan.CpuListText, plan.CapPercent, plan.Yield));
        Assert.Equal(280_000, plan.CapQuotaMicroseconds);
    }

    [Fact]
    public void FastProfile_UsesEveryCore_WithoutCapOrYield()
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Fast }, TwoCores);

        Assert.Equal((2, 2, "0-1", (double?)null, false), (plan.Threads, plan.ThreadsBatch, plan.CpuListText, plan.CapPercent, plan.Yield));
        Assert.Null(plan.CapQuotaMicroseconds);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(12, 1)]
    [InlineData(25, 2)]
    [InlineData(49, 3)]
    [InlineData(50, 4)]
    [InlineData(99, 7)]
    [InlineData(100, 8)]
    public void Threads_AreTheWholeCoresTheBudgetHolds_AtLeastOne(int budget, int threads)
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Custom, BudgetPercent = budget, Mode = CpuMode.Cap }, EightCores);

        Assert.Equal(threads, plan.Threads);
        Assert.Equal(threads, plan.ThreadsBatch);
        Assert.Equal(threads, plan.Cpus.Count);
        Assert.Equal(budget < 100 ? budget : null, plan.CapPercent);
    }

    [Fact]
    public void ExpertSettings_WinOverTheDerivedOnes()
    {
        var plan = CpuPlanner.Plan(new CpuOptions
        {
            Profile = CpuProfile.Balanced, Threads = 2, ThreadsBatch = 4, Cpus = "0,2-3", CapPercent = 30, CapPeriodMicroseconds = 10_000,
        }, EightCores);

        Assert.Equal((2, 4, "0,2-3", 30.0, 10_000), (plan.Threads, plan.ThreadsBatch, plan.CpuListText, plan.CapPercent, plan.CapPeriodMicroseconds));
        Assert.Equal(24_000, plan.CapQuotaMicroseconds);
    }

    [Fact]
    public void ThreadsBatch_FollowsAnExplicitThreads()
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Fast, Threads = 3 }, EightCores);

        Assert.Equal((3, 3, "5-7"), (plan.Threads, plan.ThreadsBatch, plan.CpuListText));
    }

    [Fact]
    public void YieldMode_HasNoCap_UnlessOneIsSet()
    {
        var yielding = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Custom, BudgetPercent = 50, Mode = CpuMode.Yield }, TwoCores);
        var both = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Custom, BudgetPercent = 50, Mode = CpuMode.Yield, CapPercent = 40 }, TwoCores);

        Assert.Equal((true, (double?)null), (yielding.Yield, yielding.CapPercent));
        Assert.Equal((true, (double?)40), (both.Yield, both.CapPercent));
    }

    [Theory]
    [InlineData(CpuProfile.Invisible, CpuPriority.Normal, false)]
    [InlineData(CpuProfile.Balanced, CpuPriority.Idle, true)]
    public void Priority_OverridesWhatTheModeWouldGive(CpuProfile profile, CpuPriority priority, bool yields)
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = profile, Priority = priority }, TwoCores);

        Assert.Equal(yields, plan.Yield);
        Assert.NotNull(plan.CapPercent); // the cap is the mode's, untouched
    }

    [Theory]
    [InlineData("0-1,3", "0,1,3")]
    [InlineData("2", "2")]
    [InlineData(" 4 - 4 ", null)]
    [InlineData("1-0", null)]
    [InlineData("a", null)]
    [InlineData("", null)]
    [InlineData("0-5000", null)]
    public void CpuList_ParsesLinuxNotation_AndRefusesTheRest(string text, string? expected)
    {
        var ok = CpuList.TryParse(text, out var cpus);

        Assert.Equal(expected is not null, ok);
        Assert.Equal(expected ?? "", string.Join(',', cpus));
    }

    [Fact]
    public void CpuList_FormatsRanges()
    {
        Assert.Equal("0-2,5,7-8", CpuList.Format([8, 0, 1, 2, 5, 7, 1]));
    }
}
