using LlmGateway.Cpu;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests;

/// <summary>The idle gateway's heap is trimmed once after work, at most once a minute, and never while busy.</summary>
public sealed class IdleMemoryTrimTests
{
    private readonly FakeTimeProvider _time = new();
    private int _collections;

    [Fact]
    public void TrimsOnceWhenIdle_AfterStartUp_AndNotAgainWithoutWork()
    {
        var trim = new IdleMemoryTrim(_time, () => _collections++);
        trim.Sampled(idle: false);
        Assert.Equal(0, _collections);

        trim.Sampled(idle: true);
        Assert.Equal(1, _collections);

        _time.Advance(TimeSpan.FromMinutes(10));
        trim.Sampled(idle: true);
        Assert.Equal(1, _collections);
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
