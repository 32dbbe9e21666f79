using LlmGateway.Hosting;

namespace LlmGateway.Tests.Units;

/// <summary>The memory budget's choice: by bytes, idle models least recently used first, never a busy or loading one.</summary>
public sealed class EvictionTests
{
    private static Eviction.Resident Idle(string id, long bytes, long lastUsed) => new(id, bytes, Evictable: true, lastUsed);

    private static Eviction.Resident Busy(string id, long bytes) => new(id, bytes, Evictable: false, LastUsed: 0);

    [Fact]
    public void Fits_BesideTheLoadedOnes_UnloadsNothing()
    {
        var decision = Eviction.Decide(budget: 100, needed: 40, [Idle("a", 30, 1), Busy("b", 30)]);

        Assert.Equal(RoomDecision.Fits, decision);
    }

    [Fact]
    public void DoesNotFit_UnloadsIdleModels_LeastRecentlyUsedFirst_OnlyAsManyAsNeeded()
    {
        var decision = Eviction.Decide(budget: 100, needed: 50, [Idle("recent", 30, lastUsed: 9), Idle("old", 30, lastUsed: 1), Idle("older", 30, lastUsed: 0)]);

        Assert.True(decision.Load);
        Assert.Equal(["older", "old"], decision.Unload); // 90 - 30 - 30 + 50 = 80: two suffice, the recent one stays
        Assert.False(decision.Alone);
    }

    [Fact]
    public void ByBytes_NotByCount_OneLargeIdleModelMakesRoomForTwoSmallOnes()
    {
        var decision = Eviction.Decide(budget: 100, needed: 60, [Idle("small", 10, lastUsed: 0), Idle("large", 80, lastUsed: 5)]);

        Assert.Equal(["small", "large"], decision.Unload); // least recently used first, until it fits
    }

    [Fact]
    public void BusyOrLoadingModel_IsNeverUnloaded_TheLoadWaits()
    {
        var decision = Eviction.Decide(budget: 100, needed: 60, [Busy("busy", 50), Idle("idle", 20, 0)]);

        Assert.False(decision.Load); // 50 + 60 > 100 even without the idle one: wait for the busy one
        Assert.Empty(decision.Unload);
    }

    [Fact]
    public void LargerThanTheWholeBudget_LoadsAlone_OnceEveryIdleModelIsGone()
    {
        var withIdle = Eviction.Decide(budget: 100, needed: 150, [Idle("a", 20, 0), Idle("b", 20, 1)]);
        var alone = Eviction.Decide(budget: 100, needed: 150, []);
        var besideBusy = Eviction.Decide(budget: 100, needed: 150, [Busy("b", 20)]);

        Assert.Equal((true, true), (withIdle.Load, withIdle.Alone));
        Assert.Equal(["a", "b"], withIdle.Unload);
        Assert.Equal((true, true, 0), (alone.Load, alone.Alone, alone.Unload.Count));
        Assert.False(besideBusy.Load);
    }

    [Fact]
    public void AgainstThrashing_AModelUsedWithinTheHold_IsKept_TheLoadWaits()
    {
        var justUsed = new Eviction.Resident("a", 80, Evictable: true, LastUsed: 5, IdleFor: TimeSpan.FromSeconds(0.5));

        var held = Eviction.Decide(budget: 100, needed: 60, [justUsed], hold: TimeSpan.FromSeconds(2));
        var pastTheHold = Eviction.Decide(budget: 100, needed: 60, [justUsed with { IdleFor = TimeSpan.FromSeconds(2) }], hold: TimeSpan.FromSeconds(2));
        var boundReached = Eviction.Decide(budget: 100, needed: 60, [justUsed], hold: TimeSpan.Zero); // the waiter waited its bound

        Assert.False(held.Load);
        Assert.Equal(["a"], pastTheHold.Unload);
        Assert.Equal(["a"], boundReached.Unload);
    }

    [Fact]
    public void Hold_KeepsOnlyTheRecentlyUsed_AnOlderIdleModelStillMakesRoom()
    {
        var decision = Eviction.Decide(budget: 100, needed: 40,
            [new("recent", 40, true, 9, TimeSpan.FromSeconds(0.1)), new("old", 40, true, 1, TimeSpan.FromSeconds(30))], hold: TimeSpan.FromSeconds(2));

        Assert.Equal(["old"], decision.Unload);
    }
}
