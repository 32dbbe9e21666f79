using LlmGateway.Cpu;

namespace LlmGateway.Scoring;

/// <summary>The latencies of requests that ended recently, for percentiles over the last minutes.</summary>
/// <remarks>A bounded ring: at most <paramref name="capacity"/> requests are kept, the oldest dropped first.</remarks>
public sealed class LatencyWindow(TimeProvider time, int capacity = 8192)
{
    private readonly (long At, double Seconds)[] _ring = new (long, double)[capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public void Add(double seconds)
    {
        lock (_lock)
        {
            _ring[_next] = (time.GetTimestamp(), seconds);
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }
    }

    /// <summary>Statistics of the requests that ended within <paramref name="window"/>; null when none did.</summary>
    public WindowStatistics? Statistics(TimeSpan window)
    {
        List<double> values = [];
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                var (at, seconds) = _ring[(_next - 1 - i + _ring.Length) % _ring.Length];
                if (time.GetElapsedTime(at) > window)
                {
                    break; // older from here on
                }

                values.Add(seconds);
            }
        }

        return values.Count == 0 ? null : WindowStatistics.Of(values);
    }
}
