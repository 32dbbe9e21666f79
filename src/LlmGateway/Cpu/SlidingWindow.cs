namespace LlmGateway.Cpu;

/// <summary>The last N samples of one quantity, with the statistics that matter for "invisible": percentiles and peak.</summary>
public sealed class SlidingWindow(int capacity)
{
    private readonly double[] _values = new double[capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public void Add(double value)
    {
        lock (_lock)
        {
            _values[_next] = value;
            _next = (_next + 1) % _values.Length;
            _count = Math.Min(_count + 1, _values.Length);
        }
    }

    /// <summary>Mean, p50, p95, p99 and max of the window; all zero when it is empty.</summary>
    public WindowStatistics Statistics()
    {
        double[] sorted;
        lock (_lock)
        {
            sorted = _values[.._count];
        }

        if (sorted.Length == 0)
        {
            return new WindowStatistics(0, 0, 0, 0, 0, 0);
        }

        Array.Sort(sorted);
        return new WindowStatistics(sorted.Length, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>Nearest-rank percentile: a value that was really observed, never an interpolation between two.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

public sealed record WindowStatistics(int Samples, double Mean, double P50, double P95, double P99, double Max);
