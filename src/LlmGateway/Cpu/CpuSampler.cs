using LlmGateway.Cpu.Backends;
using Microsoft.Extensions.Options;

namespace LlmGateway.Cpu;

/// <summary>Samples llama-server's CPU and the whole system's every interval while busy (slower while idle), as percent of the machine.</summary>
/// <remarks>
/// Percent of the machine, not of one core: 50 means half of all cores, the unit the CPU budget is set in.
/// Linux only for now (/proc); elsewhere the sampler reports that it has no samples.
/// </remarks>
public sealed class CpuSampler(
    IChildProcesses children, CpuGovernor governor, ChildProgress progress, ICpuSampleEvents events, RequestActivity activity,
    IOptions<CpuSamplerOptions> options,
    TimeProvider time) : BackgroundService
{
    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(options.Value.IntervalMilliseconds);
    private readonly int _windowSamples = Samples(options.Value, TimeSpan.FromSeconds(options.Value.WindowSeconds));

    // Long enough for the configured window and for the metrics' 5-minute one.
    private readonly int _capacity = Math.Max(Samples(options.Value, TimeSpan.FromSeconds(options.Value.WindowSeconds)), Samples(options.Value, TimeSpan.FromMinutes(5)));
    private long _peakRss;
    private readonly SampleLog _log = new(Math.Max(Samples(options.Value, TimeSpan.FromSeconds(options.Value.WindowSeconds)), Samples(options.Value, TimeSpan.FromMinutes(5))));
    private long _gatewayRss;
    private SlidingWindow? _child;
    private SlidingWindow? _system;
    private long _childRss;
    private ConfinedUsage? _confined;
    private double? _waitRatio;

    public CpuSnapshot Snapshot() => new(
        options.Value.IntervalMilliseconds,
        options.Value.WindowSeconds,
        (_child ?? new SlidingWindow(1)).Statistics(_windowSamples),
        (_system ?? new SlidingWindow(1)).Statistics(_windowSamples),
        Interlocked.Read(ref _childRss),
        children.Running is [var first, ..] ? first.Pid : null,
        _confined is null ? "threads" : "cgroup",
        _confined?.ThrottledPeriods,
        _confined?.ThrottledNanoseconds / 1e9);

    public long ChildRssBytes => Interlocked.Read(ref _childRss);

    /// <summary>Every sample of the last five minutes (or the window, if longer), numbered, with the gateway's own CPU and whether it was busy.</summary>
    public SampleLog Log => _log;

    /// <summary>The sampling period while busy; an idle sample is logged as this many.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>
    /// The share of the last second llama-server's main thread spent runnable but not running (0 to 1): waiting for
    /// CPU, whether held back by the cap, by idle priority, or by a busy machine. Null before a second was sampled.
    /// </summary>
    public double? ChildWaitRatio => _waitRatio;

    /// <summary>The cgroup's throttling counters, when the backend has a cgroup.</summary>
    public ConfinedUsage? Confined => _confined;

    /// <summary>The highest RSS llama-server (this start of it) has had while sampled.</summary>
    public long PeakRssBytes => Interlocked.Read(ref _peakRss);

    /// <summary>Statistics of the child's (or the system's) samples over the newest <paramref name="span"/>.</summary>
    public WindowStatistics Statistics(TimeSpan span, bool child) =>
        (child ? _child : _system)?.Statistics(Samples(options.Value, span)) ?? new WindowStatistics(0, 0, 0, 0, 0, 0);

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

    private static long GatewayCpuMicroseconds() =>
        Interop.LinuxInterop.GetResourceUsage(Interop.LinuxInterop.RusageSelf, out var u) == 0
            ? ((u.UserSeconds + u.SystemSeconds) * 1_000_000) + u.UserMicroseconds + u.SystemMicroseconds
            : 0;

    private static bool AllReady(IReadOnlyList<RunningChild> running)
    {
        for (var i = 0; i < running.Count; i++)
        {
            if (!running[i].Ready)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One number for the set of children (their order is the models' order): null for none.</summary>
    private static long? PidsKey(IReadOnlyList<RunningChild> running)
    {
        if (running.Count == 0)
        {
            return null;
        }

        var key = 17L;
        for (var i = 0; i < running.Count; i++)
        {
            key = unchecked((key * 1_000_003) + running[i].Pid);
        }

        return key;
    }

    private static long? SumCpuNanoseconds(IReadOnlyList<RunningChild> running)
    {
        var sum = 0L;
        for (var i = 0; i < running.Count; i++)
        {
            if (LinuxProcStat.ProcessCpuNanoseconds(running[i].Pid) is not { } ns)
            {
                return null;
            }

            sum += ns;
        }

        return sum;
    }

    private static int Samples(CpuSamplerOptions o, TimeSpan span) => Math.Max(1, (int)(span.TotalMilliseconds / o.IntervalMilliseconds));

    private void Run(CancellationToken stoppingToken)
    {
        _child = new SlidingWindow(_capacity);
        _system = new SlidingWindow(_capacity);
        using var proc = new LinuxProcStat();
        var cores = governor.Plan.Cores; // the machine as the budget sees it, a container's CPU limit included
        var policy = new SamplingPolicy(_interval, TimeSpan.FromMilliseconds(Math.Max(options.Value.IdleIntervalMilliseconds, options.Value.IntervalMilliseconds)), time);
        WaitHandle[] wakers = [stoppingToken.WaitHandle, activity.StartedSignal];
        long? lastPids = null;
        long lastChildNs = 0;
        var lastSystem = proc.SystemTicks();
        var lastTick = time.GetTimestamp();
        var lastRss = lastTick;
        int? lastWaitPid = null;
        long? peakPids = null;
        long lastDelay = 0;
        var lastWaitTick = lastTick;
        double? childPercent = null;
        var lastGatewayUs = GatewayCpuMicroseconds();
        var lastEnded = activity.Ended;
        var wasReady = false;
        var trim = new IdleMemoryTrim(time);
        while (true)
        {
            var wait = policy.Next(activity.InFlight, childPercent);
            var woken = false;
            trim.Sampled(idle: wait > _interval && activity.InFlight == 0);
            if (wait > _interval)
            {
                // Idle: a request that starts wakes the sampler, so none of its CPU is sampled slowly. The signal may be
                // left over from a burst sampled fast; a request that started meanwhile is seen in InFlight.
                // Either way this sample covers idle time up to the request's start: it is not a busy one.
                activity.StartedSignal.WaitOne(0);
                woken = true;
                if (activity.InFlight > 0)
                {
                    wait = _interval;
                }
                else if (WaitHandle.WaitAny(wakers, wait) is var signalled && signalled == 0)
                {
                    return;
                }
                else
                {
                    woken = signalled == 1;
                }
            }
            else if (stoppingToken.WaitHandle.WaitOne(wait))
            {
                return;
            }

            var elapsed = time.GetElapsedTime(lastTick);
            lastTick = time.GetTimestamp();
            var elapsedNs = elapsed.Ticks * 100.0;
            var repeats = Math.Min(policy.Repeats(elapsed), _capacity);

            var system = proc.SystemTicks();
            double? systemPercent = null;
            childPercent = null;
            if (system is { } now && lastSystem is { } before && now.Total > before.Total)
            {
                systemPercent = 100.0 * (now.Busy - before.Busy) / (now.Total - before.Total);
            }

            lastSystem = system;

            // The gateway's own CPU, for the idle cost of the whole service; busy when a request was in flight or ended
            // since the last sample, so a request shorter than one interval still makes its sample active; not the sample
            // a starting request woke the idle sampler for, which covers the idle time before it.
            var gatewayUs = GatewayCpuMicroseconds();
            var gatewayPercent = Math.Clamp(100.0 * (gatewayUs - lastGatewayUs) * 1000 / (elapsedNs * cores), 0, 100);
            lastGatewayUs = gatewayUs;
            var ended = activity.Ended;
            var busy = !woken && (activity.InFlight > 0 || ended != lastEnded);
            lastEnded = ended;
            // Every model's child counts; with none loaded there is nothing starting, and the gateway idles.
            var running = children.Running;
            var allReady = AllReady(running);
            var starting = !allReady || !wasReady;
            wasReady = allReady;

            // A new set of children (a start, a restart, an unload) starts its own count; its first interval has no
            // baseline and is skipped.
            var pids = PidsKey(running);
            var pid = running.Count > 0 ? running[0].Pid : (int?)null;
            // The cgroup's own count when there is one: one file, and it includes every process in the group.
            _confined = governor.ReadUsage();
            var childNs = pids is null ? null : _confined?.CpuNanoseconds ?? SumCpuNanoseconds(running);
            if (childNs is { } ns && pids == lastPids)
            {
                childPercent = Math.Clamp(100.0 * (ns - lastChildNs) / (elapsedNs * cores), 0, 100);
                progress.Sampled(childPercent.Value * cores);
            }

            (lastPids, lastChildNs) = (childNs is null ? null : pids, childNs ?? 0);
            // A slow sample stands for as many fast ones as fit in its span (SamplingPolicy says why).
            for (var i = 0; i < repeats; i++)
            {
                if (systemPercent is { } sp)
                {
                    _system.Add(sp);
                }

                if (childPercent is { } cp)
                {
                    _child.Add(cp);
                }

                events.CpuSampled(childPercent, systemPercent);
                _log.Add(childPercent, gatewayPercent, systemPercent, Interlocked.Read(ref _childRss), Interlocked.Read(ref _gatewayRss), busy, starting);
            }

            // Memory moves slowly: about once a second is enough, and at once for a new child.
            if (time.GetElapsedTime(lastRss) < TimeSpan.FromMilliseconds(950) && pids == peakPids)
            {
                continue;
            }

            lastRss = lastTick;
            var delay = pid is { } d ? proc.RunDelayNanoseconds(d) : null;
            var waitedNs = time.GetElapsedTime(lastWaitTick).Ticks * 100.0;
            _waitRatio = delay is { } w && pid == lastWaitPid && waitedNs > 0 ? Math.Clamp((w - lastDelay) / waitedNs, 0, 1) : null;
            (lastWaitPid, lastDelay, lastWaitTick) = (pid, delay ?? 0, time.GetTimestamp());

            Interlocked.Exchange(ref _gatewayRss, proc.SelfResidentBytes());
            var rss = 0L;
            for (var i = 0; i < running.Count; i++)
            {
                rss += proc.ResidentBytes(running[i].Pid) ?? 0;
            }

            Interlocked.Exchange(ref _childRss, rss);
            if (pids != peakPids)
            {
                (peakPids, _peakRss) = (pids, 0);
            }

            Interlocked.Exchange(ref _peakRss, Math.Max(Interlocked.Read(ref _peakRss), rss));
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
