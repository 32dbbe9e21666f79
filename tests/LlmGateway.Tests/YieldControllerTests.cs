using LlmGateway.Cpu;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests;

/// <summary>Yield, but never starve: the priority policy on a fake clock, with a recording switch in place of the kernel.</summary>
public sealed class YieldControllerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ChildLoading_StaysAtNormalPriority_EvenWithALateRequest()
    {
        var (yield, priority) = Controller(budgetMs: 500);
        using var request = yield.Begin();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty(priority.Switches);
        Assert.Equal("normal", yield.Priority);
    }

    [Fact]
    public void ChildReady_NothingWaiting_GoesIdle()
    {
        var (yield, priority) = Controller(budgetMs: 500);

        yield.ChildReady();

        Assert.Equal([true], priority.Switches);
        Assert.Equal("idle", yield.Priority);
    }

    [Fact]
    public void ChildStopping_GetsNormalPriority_UntilItIsGone_SoAYieldingChildCanExitOnABusyMachine()
    {
        var (yield, priority) = Controller(budgetMs: 500);
        yield.ChildReady();

        var stopping = yield.ChildStopping();
        Assert.Equal([true, false], priority.Switches);

        stopping.Dispose();
        Assert.Equal([true, false, true], priority.Switches); // the other models yield again
    }

    [Fact]
    public void RequestPastTheBudget_GetsNormalPriority_UntilItEnds()
    {
        var (yield, priority) = Controller(budgetMs: 500);
        yield.ChildReady();
        var request = yield.Begin();

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal([true], priority.Switches); // on time: still idle
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal([true, false], priority.Switches);
        Assert.Equal(1, yield.Late);

        request.Dispose();
        Assert.Equal([true, false, true], priority.Switches);
        Assert.Equal(0, yield.Late);
    }

    [Fact]
    public void QueuedRequestTurnsLateLater_TheTimerFollowsTheOldestOnTime()
    {
        var (yield, priority) = Controller(budgetMs: 1000);
        yield.ChildReady();
        var first = yield.Begin();
        _time.Advance(TimeSpan.FromMilliseconds(600));
        using var second = yield.Begin();
        _time.Advance(TimeSpan.FromMilliseconds(401)); // the first is late
        Assert.Equal([true, false], priority.Switches);

        first.Dispose(); // the second has waited 401 ms: on time again, so idle
        Assert.Equal([true, false, true], priority.Switches);
        _time.Advance(TimeSpan.FromMilliseconds(600)); // now the second is late too
        Assert.Equal([true, false, true, false], priority.Switches);
    }

    [Fact]
    public void ZeroBudget_NormalPriorityWheneverARequestIsInFlight()
    {
        var (yield, priority) = Controller(budgetMs: 0);
        yield.ChildReady();

        using (yield.Begin())
        {
            Assert.Equal([true, false], priority.Switches);
        }

        Assert.Equal([true, false, true], priority.Switches);
    }

    [Fact]
    public void StrictYield_NeverSwitches()
    {
        var (yield, priority) = Controller(budgetMs: -1);
        yield.ChildReady();
        using var request = yield.Begin();
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(priority.Switches);
        Assert.Equal("idle", yield.Priority);
    }

    [Fact]
    public void PlanThatDoesNotYield_NeverSwitches_AndHasNoPriority()
    {
        var (yield, priority) = Controller(budgetMs: 500, profile: CpuProfile.Balanced);
        yield.ChildReady();
        using var request = yield.Begin();
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Empty(priority.Switches);
        Assert.Null(yield.Priority);
    }

    [Fact]
    public void ChildRestarts_StartsAtNormal_AndGoesIdleWhenReadyAgain()
    {
        var (yield, priority) = Controller(budgetMs: 500);
        yield.ChildReady();
        yield.ChildExited();
        Assert.Equal("normal", yield.Priority);

        yield.ChildReady();
        Assert.Equal([true, true], priority.Switches);
    }

    [Fact]
    public void SwitchRefused_IsRetriedAtTheNextChange_AndTheStateStaysTrue()
    {
        var (yield, priority) = Controller(budgetMs: 0);
        priority.Refuse = "no group has been made yet";
        yield.ChildReady();
        Assert.Equal("normal", yield.Priority);

        priority.Refuse = null;
        using (yield.Begin())
        {
        }

        Assert.Equal("idle", yield.Priority);
    }

    private (YieldController, RecordingPriority) Controller(int budgetMs, CpuProfile profile = CpuProfile.Invisible)
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = profile, LatencyBudgetMilliseconds = budgetMs }, [0, 1]);
        var priority = new RecordingPriority(plan);
        return (new YieldController(priority, _time, NullLogger<YieldController>.Instance), priority);
    }

    private sealed class RecordingPriority(CpuPlan plan) : IChildPriority
    {
        public List<bool> Switches { get; } = [];

        public string? Refuse { get; set; }

        public CpuPlan Plan => plan;

        public string? SetIdle(bool idle)
        {
            if (Refuse is not null)
            {
                return Refuse;
            }

            Switches.Add(idle);
            return null;
        }
    }
}
