using LlmGateway.Cpu;
using LlmGateway.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>The start timeout on a fake clock: loading fails after LlamaServer:StartTimeoutSeconds without a sign of life, however long it takes in all.</summary>
public sealed class StartProgressTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _time = new();
    private readonly ChildProgress _child;
    private readonly StartProgress _progress;

    public StartProgressTests()
    {
        _child = new ChildProgress(_time);
        _progress = new StartProgress(Limit, _time, _child);
    }

    [Fact]
    public void NoSignOfLife_StallsJustPastTheLimit()
    {
        _time.Advance(Limit);
        Assert.False(_progress.Stalled); // at the limit, not yet past it

        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(_progress.Stalled);
    }

    [Fact]
    public void OutputLines_KeepASlowStartAlive()
    {
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(Limit - TimeSpan.FromSeconds(1));
            _progress.Mark();
            Assert.False(_progress.Stalled);
        }

        _time.Advance(Limit + TimeSpan.FromSeconds(1));
        Assert.True(_progress.Stalled);
    }

    [Fact]
    public void AChangeOfHealthStatus_IsASignOfLife_TheSameStatusAgainIsNot()
    {
        _time.Advance(TimeSpan.FromSeconds(50));
        _progress.HealthAnswered(503); // listening now, loading: a change from "not listening"
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.False(_progress.Stalled);

        _progress.HealthAnswered(503);
        _time.Advance(TimeSpan.FromSeconds(11));

        Assert.True(_progress.Stalled);
    }

    [Fact]
    public void NotListeningYet_IsNoChange()
    {
        _time.Advance(TimeSpan.FromSeconds(59));
        _progress.HealthAnswered(0);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(_progress.Stalled);
    }

    [Fact]
    public void CpuTimeSpent_IsASignOfLife_ATrickleBelowTheThresholdIsNot()
    {
        _time.Advance(TimeSpan.FromSeconds(50));
        _child.Sampled(ChildProgress.ThresholdPercentOfCore); // loading on a busy machine: slow, but working
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.False(_progress.Stalled);
        Assert.Equal(TimeSpan.FromSeconds(50), _progress.Idle);

        _child.Sampled(ChildProgress.ThresholdPercentOfCore / 2);
        _time.Advance(TimeSpan.FromSeconds(11));

        Assert.True(_progress.Stalled);
    }
}
