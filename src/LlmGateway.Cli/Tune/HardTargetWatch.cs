using LlmGateway.Cli.Report;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// The early-stop rule, fed each request as it is sent and as it ends. A candidate is stopped as soon as it can no
/// longer meet the hard targets, whatever the rest of its requests do:
/// <list type="bullet">
/// <item>a request failed (the scorecard requires every request to succeed), or</item>
/// <item>more requests took longer than the p95 target than p95 allows: with N planned requests, the nearest-rank p95
/// is the ceil(0.95 N)-th smallest latency, so it exceeds the target once more than N - ceil(0.95 N) latencies do
/// (for 40 requests: the third over the target). A request still in flight longer than the target counts as over it
/// at once (<see cref="CheckInFlight"/>): its latency can only grow, and a slow candidate would otherwise hold the
/// search for as long as its slowest answers take.</item>
/// </list>
/// </summary>
public sealed class HardTargetWatch(int plannedRequests, double p95TargetSeconds, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, long> _inFlight = [];
    private readonly HashSet<int> _countedSlow = [];
    private int _failed;

    /// <summary>How many latencies may exceed the p95 target before p95 itself does.</summary>
    public int SlowAllowed { get; } = plannedRequests - (int)Math.Ceiling(0.95 * plannedRequests);

    public int Seen { get; private set; }

    public int Slow => _countedSlow.Count;

    /// <summary>Why the candidate broke a hard target; null while it has not.</summary>
    public string? Broken { get; private set; }

    /// <summary>Notes that the request on workload line <paramref name="line"/> was sent.</summary>
    public void Sent(int line)
    {
        lock (_gate)
        {
            _inFlight[line] = _time.GetTimestamp();
        }
    }

    /// <summary>Counts requests in flight for longer than the p95 target as over it; true when the candidate should stop now.</summary>
    public bool CheckInFlight()
    {
        lock (_gate)
        {
            foreach (var (line, sent) in _inFlight)
            {
                if (_time.GetElapsedTime(sent).TotalSeconds > p95TargetSeconds)
                {
                    _countedSlow.Add(line);
                }
            }

            return Judge();
        }
    }

    /// <summary>Counts one finished request; true when the candidate should stop now.</summary>
    public bool Observe(RequestResult result) => Observe(result.Line, result.Ok, result.LatencySeconds);

    public bool Observe(int line, bool ok, double latencySeconds)
    {
        lock (_gate)
        {
            _inFlight.Remove(line);
            Seen++;
            if (!ok)
            {
                _failed++;
            }
            else if (latencySeconds > p95TargetSeconds)
            {
                _countedSlow.Add(line);
            }

            return Judge();
        }
    }

    private bool Judge()
    {
        Broken ??= _failed > 0 ? $"a request failed after {Seen} of {plannedRequests}"
            : _countedSlow.Count > SlowAllowed ? $"{_countedSlow.Count} requests over the p95 target after {Seen} of {plannedRequests} ended (at most {SlowAllowed} may be)"
            : null;
        return Broken is not null;
    }
}
