using LlmGateway.Cpu.Backends;
using LlmGateway.Supervision;
using Microsoft.Extensions.Options;

namespace LlmGateway.Cpu;

/// <summary>Samples llama-server's CPU and the whole system's every interval, as percent of the machine.</summary>
/// <remarks>
/// Percent of the machine, not of one core: 50 means half of all cores, the unit the CPU budget is set in.
/// Linux only for now (/proc); elsewhere the sampler reports that it has no samples.
/// </remarks>
public sealed class CpuSampler(LlamaServerConnection connection, CpuGovernor governor, IOptions<CpuSamplerOptions> options, TimeProvider time) : BackgroundService
{
    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(options.Value.IntervalMilliseconds);
    private readonly int _capacity = Math.Max(1, options.Value.WindowSeconds * 1000 / options.Value.IntervalMilliseconds);
    private SlidingWindow? _child;
    private SlidingWindow? _system;
    private long _childRss;
    private ConfinedUsage? _confined;

    public CpuSnapshot Snapshot() => new(
        options.Value.IntervalMilliseconds,
        options.Value.WindowSeconds,
        (_child ?? new SlidingWindow(1)).Statistics(),
        (_system ?? new SlidingWindow(1)).Statistics(),
        Interlocked.Read(ref _childRss),
        connection.State.Pid,
        _confined is null ? "threads" : "cgroup",
        _confined?.ThrottledPeriods,
        _confined?.ThrottledNanoseconds / 1e9);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Task.CompletedTask;
        }

        // A thread of its own that sleeps between samples: a timer's wake-ups through the thread pool cost
        // several times more CPU on small VMs (measurements in ProcFile's remarks).
        var done = new TaskCompletionSource();
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "CPU sampler" };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        _child = new SlidingWindow(_capacity);
        _system = new SlidingWindow(_capacity);
        using var proc = new LinuxProcStat();
        var cores = Environment.ProcessorCount;
        int? lastPid = null;
        long lastChildNs = 0;
        var lastSystem = proc.SystemTicks();
        var lastTick = time.GetTimestamp();
        while (!stoppingToken.WaitHandle.WaitOne(_interval))
        {
            var elapsedNs = time.GetElapsedTime(lastTick).Ticks * 100.0;
            lastTick = time.GetTimestamp();

            var system = proc.SystemTicks();
            if (system is { } now && lastSystem is { } before && now.Total > before.Total)
            {
                _system.Add(100.0 * (now.Busy - before.Busy) / (now.Total - before.Total));
            }

            lastSystem = system;

            // A new child (restart) starts its own count; its first interval has no baseline and is skipped.
            var pid = connection.State.Pid;
            // The cgroup's own count when there is one: one file, and it includes every process in the group.
            _confined = governor.ReadUsage();
            var childNs = pid is null ? null : _confined?.CpuNanoseconds ?? LinuxProcStat.ProcessCpuNanoseconds(pid.Value);
            if (childNs is { } ns && pid == lastPid)
            {
                _child.Add(Math.Clamp(100.0 * (ns - lastChildNs) / (elapsedNs * cores), 0, 100));
            }

            (lastPid, lastChildNs) = (childNs is null ? null : pid, childNs ?? 0);
            Interlocked.Exchange(ref _childRss, pid is { } q ? proc.ResidentBytes(q) ?? 0 : 0);
        }
    }
}

public sealed record CpuSnapshot(
    int IntervalMs,
    int WindowSeconds,
    WindowStatistics ChildPercent,
    WindowStatistics SystemPercent,
    long ChildRssBytes,
    int? ChildPid,
    string ChildCpuSource,
    long? ThrottledPeriods,
    double? ThrottledSeconds);
