using System.Diagnostics;

namespace LlmGateway.Cli.Tests.Report;

/// <summary>The report's /proc sampler, on this test process itself.</summary>
public sealed class ProcessSamplerTests
{
    [Fact]
    public void Stopped_before_one_interval_passed_it_still_has_one_sample_with_RSS()
    {
        // An hour's interval: the only sample there can be is the one taken on stopping. A workload shorter than one
        // interval (two 30 ms requests on a fast machine) was left with no CPU figure before that sample existed.
        using var sampler = new ProcessSampler(Environment.ProcessId, gatewayPid: null, TimeSpan.FromHours(1));
        var samples = sampler.Stop();

        var sample = Assert.Single(samples);
        Assert.True(sample.ChildRssBytes > 0, "the RSS of a process that exists");
        Assert.True(sample.ChildPercent >= 0);
    }

    [Fact]
    public void The_CPU_a_busy_thread_burns_between_start_and_stop_is_in_the_samples()
    {
        using var sampler = new ProcessSampler(Environment.ProcessId, gatewayPid: null, TimeSpan.FromHours(1));
        // Burn CPU until the process's own counter has moved by 0.2 s, whatever the machine's speed or load.
        var start = Process.GetCurrentProcess().TotalProcessorTime;
        while (Process.GetCurrentProcess().TotalProcessorTime - start < TimeSpan.FromMilliseconds(200))
        {
            Thread.SpinWait(10_000);
        }

        var sample = Assert.Single(sampler.Stop());
        Assert.True(sample.ChildPercent > 0, $"{sample.ChildPercent} %");
    }
}
