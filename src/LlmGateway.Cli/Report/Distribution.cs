namespace LlmGateway.Cli.Report;

/// <summary>Count, mean, nearest-rank percentiles and peak of a set of values.</summary>
public sealed record Distribution(int Count, double Mean, double P50, double P95, double P99, double Max)
{
    public static readonly Distribution Empty = new(0, 0, 0, 0, 0, 0);

    public static Distribution Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }

        Array.Sort(sorted);
        return new Distribution(sorted.Length, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>
    /// Nearest rank: a value that was really observed, never an interpolation; the same rule as the gateway's own sampler,
    /// so the report's CPU percentiles and the gateway's agree on the same samples.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
