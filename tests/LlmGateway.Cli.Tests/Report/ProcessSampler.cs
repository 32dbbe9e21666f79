using System.Diagnostics;

namespace LlmGateway.Cli.Tests.Report;

/// <summary>Samples a process (llama-server) and optionally another (the gateway) from /proc every interval on a thread of its own until stopped.</summary>
/// <remarks>
/// The tests' independent reference for the gateway's own sampler, which llmgw report reads: utime + stime of all threads,
/// percent of all cores. A thread that sleeps, not a timer: a late sample is measured over its real length, never skipped;
/// and stopping takes one last sample, so even an interval shorter than one period has one.
/// </remarks>
public sealed class ProcessSampler : IDisposable
{
    private readonly int _childPid;
    private readonly int? _gatewayPid;
    private readonly TimeSpan _interval;
    private readonly List<ProcSample> _samples = [];
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private readonly int _cores = Environment.ProcessorCount;

    public ProcessSampler(int childPid, int? gatewayPid, TimeSpan interval)
    {
        _childPid = childPid;
        _gatewayPid = gatewayPid;
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "llmgw report sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Stops sampling and returns the samples taken.</summary>
    public IReadOnlyList<ProcSample> Stop()
    {
        _stop.Set();
        _thread.Join();
        lock (_samples)
        {
            return [.. _samples];
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var child = ProcSnapshot.Read(_childPid);
        var gateway = _gatewayPid is { } g ? ProcSnapshot.Read(g) : null;
        var last = clock.Elapsed;
        // The last sample is taken when stopped, over whatever time passed since the one before: a workload shorter than
        // one interval still gets its CPU and RSS measured.
        var stopped = false;
        while (!stopped)
        {
            stopped = _stop.Wait(_interval);
            var now = clock.Elapsed;
            var nextChild = ProcSnapshot.Read(_childPid);
            var nextGateway = _gatewayPid is { } pid ? ProcSnapshot.Read(pid) : null;
            var seconds = (now - last).TotalSeconds;
            if (seconds > 0 && child is not null && nextChild is not null)
            {
                var sample = new ProcSample(
                    now.TotalSeconds,
                    Percent(nextChild.CpuSeconds - child.CpuSeconds, seconds),
                    gateway is not null && nextGateway is not null ? Percent(nextGateway.CpuSeconds - gateway.CpuSeconds, seconds) : 0,
                    nextChild.RssBytes,
                    nextGateway?.RssBytes ?? 0);
                lock (_samples)
                {
                    _samples.Add(sample);
                }
            }

            (child, gateway, last) = (nextChild, nextGateway, now);
        }
    }

    private double Percent(double cpuSeconds, double seconds) => Math.Max(0, cpuSeconds / seconds / _cores * 100);
}

/// <summary>One /proc sample: percent of the machine over the interval that ended at Seconds, and RSS then.</summary>
public sealed record ProcSample(double Seconds, double ChildPercent, double GatewayPercent, long ChildRssBytes, long GatewayRssBytes);
