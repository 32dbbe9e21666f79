using LlmGateway.Cpu;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests;

/// <summary>The idle gateway's heap is trimmed once after work, at most once a minute, and never while busy.</summary>
public sealed class IdleMemoryTrimTests
{
    private readonly FakeTimeProvider _time = new();
    private int _collections;

    [Fact]
    public void TrimsWhenIdle_AfterStartUp_OnceMoreAMinuteLater_AndNotAgainWithoutWork()
    {
        var trim = new IdleMemoryTrim(_time, () => _collections++);
        trim.Sampled(idle: false);
        Assert.Equal(0, _collections);

        trim.Sampled(idle: true);
        Assert.Equal(1, _collections);

        _time.Advance(IdleMemoryTrim.MinimumGap - TimeSpan.FromSeconds(1));
        trim.Sampled(idle: true);
        Assert.Equal(1, _collections);

        _time.Advance(TimeSpan.FromSeconds(1));
        trim.Sampled(idle: true);
        Assert.Equal(2, _collections);

        _time.Advance(TimeSpan.FromMinutes(10));
        trim.Sampled(idle: true);
        Assert.Equal(2, _collections);
    }

    [Fact]
    public void WorkBeforeTheFollowUp_StartsOver_WithOneTrimAndOneFollowUp()
    {
        var trim = new IdleMemoryTrim(_time, () => _collections++);
        trim.Sampled(idle: true);
        _time.Advance(TimeSpan.FromSeconds(30));
        trim.Sampled(idle: false);
        _time.Advance(TimeSpan.FromSeconds(30));
        trim.Sampled(idle: true);
        Assert.Equal(2, _collections); // the work's trim

        _time.Advance(IdleMemoryTrim.MinimumGap);
        trim.Sampled(idle: true);
        Assert.Equal(3, _collections); // its follow-up

        _time.Advance(TimeSpan.FromMinutes(10));
        trim.Sampled(idle: true);
        Assert.Equal(3, _collections);
    }

    [Fact]
    public void WorkWithinTheMinute_IsTrimmedWhenTheMinuteHasPassed()
    {
        var trim = new IdleMemoryTrim(_time, () => _collections++);
        trim.Sampled(idle: true);
        _time.Advance(TimeSpan.FromSeconds(10));
        trim.Sampled(idle: false);
        trim.Sampled(idle: true);
        Assert.Equal(1, _collections);

        _time.Advance(IdleMemoryTrim.MinimumGap - TimeSpan.FromSeconds(10));
        trim.Sampled(idle: true);
        Assert.Equal(2, _collections);
    }
}
