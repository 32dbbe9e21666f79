using LlmGateway.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>The supervisor's crash policy on a fake clock: back-off, the crash loop, the window's expiry and the reset.</summary>
public sealed class RestartPolicyTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void BackOff_StartsAtRestartDelay_DoublesPerRecentCrash_UpToTheMaximum()
    {
        var policy = Policy(new() { MaxCrashes = 100, RestartDelaySeconds = 0.5, MaxRestartDelaySeconds = 3 });
        List<double> delays = [policy.NextDelay.TotalSeconds];

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(CrashVerdict.Restart, policy.Crashed());
            delays.Add(policy.NextDelay.TotalSeconds);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([0.5, 0.5, 1, 2, 3, 3], delays);
    }

    [Fact]
    public void MaxCrashesWithinTheWindow_IsACrashLoop()
    {
        var policy = Policy(new() { MaxCrashes = 3, CrashWindowSeconds = 60 });

        Assert.Equal(CrashVerdict.Restart, policy.Crashed());
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(CrashVerdict.Restart, policy.Crashed());
        _time.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed());
        Assert.Equal(3, policy.RecentCrashes);
    }

    [Fact]
    public void CrashesOlderThanTheWindow_AreForgotten_SoOccasionalCrashesRestartForEver()
    {
        var policy = Policy(new() { MaxCrashes = 2, CrashWindowSeconds = 60, RestartDelaySeconds = 1, MaxRestartDelaySeconds = 30 });

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(CrashVerdict.Restart, policy.Crashed());
            Assert.Equal(1, policy.RecentCrashes);
            Assert.Equal(TimeSpan.FromSeconds(1), policy.NextDelay); // the back-off falls back with the count
            _time.Advance(TimeSpan.FromSeconds(61));
        }
    }

    [Fact]
    public void ACrashExactlyAWindowLater_StillCounts()
    {
        var policy = Policy(new() { MaxCrashes = 2, CrashWindowSeconds = 60 });
        policy.Crashed();
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed());
    }

    [Fact]
    public void TheWindowSlides_OnlyTheCrashesWithinItCount()
    {
        var policy = Policy(new() { MaxCrashes = 3, CrashWindowSeconds = 60 });
        policy.Crashed(); // t = 0
        _time.Advance(TimeSpan.FromSeconds(40));
        policy.Crashed(); // t = 40
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(CrashVerdict.Restart, policy.Crashed()); // t = 70: the first has left the window
        Assert.Equal(2, policy.RecentCrashes);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed()); // t = 80: 40, 70 and 80 are within 60 s
    }

    [Fact]
    public void Reset_AfterACrashLoop_StartsCountingAgain()
    {
        var policy = Policy(new() { MaxCrashes = 2, CrashWindowSeconds = 300, RestartDelaySeconds = 0.5 });
        policy.Crashed();
        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed());

        policy.Reset();

        Assert.Equal(0, policy.RecentCrashes);
        Assert.Equal(TimeSpan.FromSeconds(0.5), policy.NextDelay);
        Assert.Equal(CrashVerdict.Restart, policy.Crashed());
    }

    [Fact]
    public void MaxCrashesOfOne_StopsAtTheFirstCrash()
    {
        var policy = Policy(new() { MaxCrashes = 1 });

        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed());
    }

    [Fact]
    public void Defaults_FiveCrashesInFiveMinutes_AreALoop_WithDelaysOfHalfASecondDoubling()
    {
        var policy = Policy(new());
        List<double> delays = [];

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(CrashVerdict.Restart, policy.Crashed());
            delays.Add(policy.NextDelay.TotalSeconds);
            _time.Advance(TimeSpan.FromSeconds(70));
        }

        Assert.Equal([0.5, 1, 2, 4], delays);
        Assert.Equal(CrashVerdict.CrashLoop, policy.Crashed()); // 280 s after the first
    }

    private RestartPolicy Policy(LlamaServerOptions options) => new(options, _time);
}
