namespace LlmGateway.Cpu;

/// <summary>The sampler's newest samples, numbered, for readers that need the samples of an interval rather than a window's statistics.</summary>
/// <remarks>
/// llmgw report asks for the samples after the last one it saw (GET /admin/cpu/samples?after=N), so its figures come from
/// the gateway's own sampler over exactly the interval it measured; the live scorecard splits the window's samples into
/// active and idle. A slow idle sample is logged as many times as it stands for fast ones, as in the windows, so counts
/// are time.
/// </remarks>
public sealed class SampleLog(int capacity)
{
    private readonly LoggedSample[] _ring = new LoggedSample[capacity];
    private readonly Lock _lock = new();
    private long _next;

    /// <summary>How many samples are kept.</summary>
    public int Capacity => _ring.Length;

    /// <summary>The sequence number the next sample will get: a reader that saw every sample before it has seen them all.</summary>
    public long Next
    {
        get
        {
            lock (_lock)
            {
                return _next;
            }
        }
    }

    public void Add(double? childPercent, double gatewayPercent, double? systemPercent, long childRssBytes, long gatewayRssBytes, bool busy, bool starting = false)
    {
        lock (_lock)
        {
            _ring[_next % _ring.Length] = new LoggedSample(_next, childPercent, gatewayPercent, systemPercent, childRssBytes, gatewayRssBytes, busy, starting);
            _next++;
        }
    }

    /// <summary>The samples numbered <paramref name="after"/> + 1 onwards that are still kept, oldest first.</summary>
    /// <returns>The samples, and how many asked for were no longer kept (0 unless the reader fell behind by more than the capacity).</returns>
    public (IReadOnlyList<LoggedSample> Samples, long Dropped) After(long after)
    {
        lock (_lock)
        {
            return AfterLocked(after);
        }
    }

    /// <summary>The newest <paramref name="count"/> samples (fewer when fewer were taken), oldest first.</summary>
    public IReadOnlyList<LoggedSample> Newest(int count)
    {
        lock (_lock)
        {
            return AfterLocked(_next - 1 - Math.Min(count, _ring.Length)).Samples;
        }
    }

    private (IReadOnlyList<LoggedSample> Samples, long Dropped) AfterLocked(long after)
    {
        var oldest = Math.Max(0, _next - _ring.Length);
        var first = Math.Max(after + 1, oldest);
        var samples = new List<LoggedSample>((int)Math.Max(0, _next - first));
        for (var seq = first; seq < _next; seq++)
        {
            samples.Add(_ring[seq % _ring.Length]);
        }

        return (samples, Math.Max(0, oldest - (after + 1)));
    }
}
