using LlmGateway.Cpu;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests;

/// <summary>The CPU sampler's pace: 100 ms while anything works, slow once all has been quiet for the linger, and slow samples counted as the fast ones they span.</summary>
public sealed class SamplingPolicyTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void StartsFast_AndSlowsOnlyAfterTheLingerWithoutWork()
    {
        var policy = new SamplingPolicy(Fast, Slow, _time);
        Assert.Equal(Fast, policy.Next(0, 0));

        _time.Advance(SamplingPolicy.Linger - TimeSpan.FromMilliseconds(1));
        Assert.Equal(Fast, policy.Next(0, 0));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Slow, policy.Next(0, 0));
        Assert.Equal(Slow, policy.Next(0, null)); // no child: nothing works
    }

    [Fact]
    public void ARequestInFlight_OrTheChildUsingCpu_IsWork_AndRestartsTheLinger()
    {
        var policy = new SamplingPolicy(Fast, Slow, _time);
        _time.Advance(SamplingPolicy.Linger);
        Assert.Equal(Slow, policy.Next(0, 0));

        Assert.Equal(Fast, policy.Next(1, 0));
        _time.Advance(SamplingPolicy.Linger - TimeSpan.FromMilliseconds(1));
        Assert.Equal(Fast, policy.Next(0, 0)); // the request's tail
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Slow, policy.Next(0, SamplingPolicy.BusyPercent / 2)); // below the threshold: idle

        Assert.Equal(Fast, policy.Next(0, SamplingPolicy.BusyPercent)); // llama-server working with no request
        _time.Advance(SamplingPolicy.Linger);
        Assert.Equal(Slow, policy.Next(0, 0));
    }

    [Fact]
    public void ASlowSample_StandsForTheFastSamplesItSpans()
    {
        var policy = new SamplingPolicy(Fast, Slow, _time);

        Assert.Equal(10, policy.Repeats(Slow));
        Assert.Equal(4, policy.Repeats(TimeSpan.FromMilliseconds(430))); // woken by a request part-way
        Assert.Equal(2, policy.Repeats(TimeSpan.FromMilliseconds(150)));
        Assert.Equal(1, policy.Repeats(TimeSpan.FromMilliseconds(149)));
        Assert.Equal(1, policy.Repeats(TimeSpan.FromMilliseconds(20))); // never none: every sample counts
    }

    [Fact]
    public void RepeatedSamples_KeepAWindowsPercentilesAShareOfItsTime()
    {
        // A minute of 100 ms samples: 50 s idle sampled once a second, then 10 s of work sampled fast, 1 s of it at 80 %.
        var policy = new SamplingPolicy(Fast, Slow, _time);
        var window = new SlidingWindow(600);
        for (var i = 0; i < 50; i++)
        {
            Add(window, 0, policy.Repeats(Slow));
        }

        for (var i = 0; i < 100; i++)
        {
            Add(window, i < 10 ? 80 : 10, policy.Repeats(Fast));
        }

        var s = window.Statistics();
        // 600 samples are the minute; 1 s of 60 is 1.7 %, so p99 sees the 80 % second and p95 does not.
        Assert.Equal((600, 80.0, 10.0), (s.Samples, s.P99, s.P95));
        Assert.Equal((10 * 80.0 + 90 * 10) / 600, s.Mean, 9);

        static void Add(SlidingWindow w, double value, int repeats)
        {
            for (var r = 0; r < repeats; r++)
            {
                w.Add(value);
            }
        }
    }

    [Fact]
    public void AnIdleIntervalShorterThanTheInterval_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingPolicy(Slow, Fast, _time));
}
