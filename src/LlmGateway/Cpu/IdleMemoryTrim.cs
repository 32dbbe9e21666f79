using System.Runtime;

namespace LlmGateway.Cpu;

/// <summary>Gives memory the gateway's heap no longer uses back to the system once the gateway is idle.</summary>
/// <remarks>
/// The garbage collector keeps its young generation's memory committed after a collection, for the next allocations,
/// and returns a surplus only gradually, at later collections, which an idle gateway no longer makes. So a gateway that
/// had served requests kept 20 MB it did not use (bench/idle-cost.sh: a live heap of 12 MB in 45 MB of anonymous
/// memory). One aggressive collection once it is idle returns it, for a few milliseconds of CPU. At most once a minute,
/// so a client that sends a request every few seconds does not cause a full collection each time; the work done since is
/// trimmed at the next idle sample after the minute. The trim also pages out the files the gateway maps
/// (<see cref="FilePageTrim"/>); what the gateway touches while it settles after work (the last metrics poll, the
/// sampler slowing down, methods compiled again at a higher tier) comes back within seconds, so one more trim follows a
/// minute later if the gateway stayed idle all along: 44 against 33 MB of file pages (bench/idle-cost.sh).
/// </remarks>
public sealed class IdleMemoryTrim(TimeProvider time, Action? collect = null)
{
    /// <summary>The least time between two trims.</summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMinutes(1);

    private readonly Action _collect = collect ?? Collect;
    private long? _last;
    private bool _pending = true; // start-up's allocations are the first to return
    private bool _followUp;

    /// <summary>Called at each sample: while busy it notes that there is work to trim after; while idle it trims if due.</summary>
    public void Sampled(bool idle)
    {
        if (!idle)
        {
            (_pending, _followUp) = (true, false);
            return;
        }

        var now = time.GetTimestamp();
        if (!(_pending || _followUp) || (_last is { } last && time.GetElapsedTime(last, now) < MinimumGap))
        {
            return;
        }

        // After work: a trim, then one more once the gateway has settled; idle after that, nothing.
        (_last, _followUp, _pending) = (now, _pending, false);
        _collect();
    }

    private static void Collect()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        FilePageTrim.Run();
    }
}
