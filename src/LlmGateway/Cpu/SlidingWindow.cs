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

    /// <summary>Mean, p50, p95, p99 and max of the window, or of its newest <paramref name="last"/> samples; all zero when empty.</summary>
    public WindowStatistics Statistics(int? last = null)
    {
        double[] values;
        lock (_lock)
        {
            var n = Math.Min(_count, last ?? _count);
            values = new double[n];
            for (var i = 0; i < n; i++)
            {
                values[i] = _values[(_next - 1 - i + _values.Length) % _values.Length];
            }
        }

        return WindowStatistics.Of(values);
    }
}

public sealed record WindowStatistics(int Samples, double Mean, double P50, double P95, double P99, double Max)
{
    /// <summary>The statistics of <paramref name="values"/> (sorted in place); all zero when there are none.</summary>
    public static WindowStatistics Of(IList<double> values)
    {
        if (values.Count == 0)
        {
            return new WindowStatistics(0, 0, 0, 0, 0, 0);
        }

        var sorted = values as double[] ?? [.. values];
        Array.Sort(sorted);
        return new WindowStatistics(sorted.Length, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>Nearest-rank percentile: a value that was really observed, never an interpolation between two.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
