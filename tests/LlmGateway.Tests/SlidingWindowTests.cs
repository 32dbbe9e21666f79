using LlmGateway.Cpu;

namespace LlmGateway.Tests;

public sealed class SlidingWindowTests
{
    [Fact]
    public void Statistics_AreNearestRankPercentilesOfTheSamples()
    {
        var window = new SlidingWindow(100);
        foreach (var v in Enumerable.Range(1, 100).Reverse())
        {
            window.Add(v);
        }

        var s = window.Statistics();

        Assert.Equal((100, 50.5, 50.0, 95.0, 99.0, 100.0), (s.Samples, s.Mean, s.P50, s.P95, s.P99, s.Max));
    }

    [Fact]
    public void FullWindow_ForgetsTheOldestSamples()
    {
        var window = new SlidingWindow(3);
        foreach (var v in new[] { 90.0, 1, 2, 3 })
        {
            window.Add(v);
        }

        var s = window.Statistics();

        Assert.Equal((3, 3.0, 2.0), (s.Samples, s.Max, s.Mean));
    }

    [Fact]
    public void EmptyWindow_ReportsZeroSamples() => Assert.Equal(0, new SlidingWindow(5).Statistics().Samples);
}
