using System.Globalization;

namespace LlmGateway.Cli.Workloads;

/// <summary>How requests arrive: one at a time, or at <paramref name="RatePerSecond"/> fixed or Poisson.</summary>
public sealed record ArrivalPattern(ArrivalKind Kind, double RatePerSecond)
{
    public static readonly ArrivalPattern Sequential = new(ArrivalKind.Sequential, 0);

    /// <summary>Reads "sequential", "fixed:RATE" or "poisson:RATE" (requests per second); null with the reason when it is none of them.</summary>
    public static ArrivalPattern? TryParse(string text, out string? problem)
    {
        problem = null;
        var parts = text.Split(':', 2);
        var kind = parts[0].Trim().ToLowerInvariant();
        if (kind == "sequential" && parts.Length == 1)
        {
            return Sequential;
        }

        if (kind is "fixed" or "poisson" && parts.Length == 2)
        {
            return FromRate(kind, parts[1], out problem);
        }

        problem = $"arrival '{text}' is none of sequential, fixed:RATE, poisson:RATE (RATE in requests per second)";
        return null;
    }

    /// <summary>A fixed or Poisson pattern from its name and rate text.</summary>
    public static ArrivalPattern? FromRate(string kind, string rate, out string? problem)
    {
        problem = null;
        if (!double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var perSecond) || !(perSecond > 0) || double.IsInfinity(perSecond))
        {
            problem = $"the {kind} arrival rate '{rate}' is not a positive number of requests per second";
            return null;
        }

        return new ArrivalPattern(kind == "fixed" ? ArrivalKind.Fixed : ArrivalKind.Poisson, perSecond);
    }

    /// <summary>When each of <paramref name="count"/> requests is sent, from the start; empty for one at a time.</summary>
    public IReadOnlyList<TimeSpan> Schedule(int count, int seed)
    {
        if (Kind == ArrivalKind.Sequential)
        {
            return [];
        }

        var random = new Random(seed);
        var times = new TimeSpan[count];
        var at = 0.0;
        for (var i = 0; i < count; i++)
        {
            times[i] = TimeSpan.FromSeconds(at);
            // Inverse transform of the exponential distribution; 1 - NextDouble() is in (0, 1], so the log is finite.
            at += Kind == ArrivalKind.Fixed ? 1 / RatePerSecond : -Math.Log(1 - random.NextDouble()) / RatePerSecond;
        }

        return times;
    }

    public override string ToString() => Kind switch
    {
        ArrivalKind.Sequential => "sequential",
        _ => string.Create(CultureInfo.InvariantCulture, $"{Kind.ToString().ToLowerInvariant()}:{RatePerSecond:0.###}"),
    };
}
