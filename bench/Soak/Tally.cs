using System.Collections.Concurrent;

namespace Soak;

/// <summary>Requests counted by outcome.</summary>
public sealed class Tally
{
    public static readonly string[] Order =
        ["stream_ok", "nonstream_ok", "aborted_by_client", "bad_request_rejected", "fault_explained", "error"];

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, long> _faultKinds = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public long this[string outcome] => _counts.GetValueOrDefault(outcome);

    /// <summary>The first unexplained errors, for the report.</summary>
    public IReadOnlyList<string> Errors => [.. _errors.Take(20)];

    /// <summary>What the failures inside fault windows looked like to the client: status or exception, numbers dropped.</summary>
    public IReadOnlyDictionary<string, long> FaultKinds => _faultKinds;

    public void Add(string outcome, string? detail = null)
    {
        _counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        if (outcome == "fault_explained" && detail is not null)
        {
            var kind = System.Text.RegularExpressions.Regex.Replace(detail.Split(": ", 2)[0], @"after \d+ chunks", "after some chunks");
            _faultKinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }

        if (outcome == "error" && detail is not null && _errors.Count < 100)
        {
            _errors.Enqueue(detail);
        }
    }

    public string Summary() => string.Join(", ", Order.Select(o => $"{o} {this[o]}"));
}
