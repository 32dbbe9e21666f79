using LlmGateway.Cli.Report;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// The early-stop rule, fed each request as it ends. A candidate is stopped as soon as it can no longer meet the hard
/// targets, whatever the rest of its requests do:
/// <list type="bullet">
/// <item>a request failed (the scorecard requires every request to succeed), or</item>
/// <item>more requests took longer than the p95 target than p95 allows: with N planned requests, the nearest-rank p95
/// is the ceil(0.95 N)-th smallest latency, so it exceeds the target once more than N - ceil(0.95 N) latencies do
/// (for 40 requests: the third over the target).</item>
/// </list>
/// </summary>
public sealed class HardTargetWatch(int plannedRequests, double p95TargetSeconds)
{
    private readonly Lock _gate = new();
    private int _failed;
    private int _slow;

    /// <summary>How many latencies may exceed the p95 target before p95 itself does.</summary>
    public int SlowAllowed { get; } = plannedRequests - (int)Math.Ceiling(0.95 * plannedRequests);

    public int Seen { get; private set; }

    /// <summary>Why the candidate broke a hard target; null while it has not.</summary>
    public string? Broken { get; private set; }

    /// <summary>Counts one finished request; true when the candidate should stop now.</summary>
    public bool Observe(RequestResult result) => Observe(result.Ok, result.LatencySeconds);

    public bool Observe(bool ok, double latencySeconds)
    {
        lock (_gate)
        {
            Seen++;
            if (!ok)
            {
                _failed++;
            }
            else if (latencySeconds > p95TargetSeconds)
            {
                _slow++;
            }

            Broken ??= _failed > 0 ? $"a request failed after {Seen} of {plannedRequests}"
                : _slow > SlowAllowed ? $"{_slow} of {Seen} requests over the p95 target (at most {SlowAllowed} of {plannedRequests} may be)"
                : null;
            return Broken is not null;
        }
    }
}
