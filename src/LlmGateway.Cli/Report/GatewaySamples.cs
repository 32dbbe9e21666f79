using System.Net;
using System.Text.Json;

namespace LlmGateway.Cli.Report;

/// <summary>The gateway's own CPU samples over one interval, read from GET /admin/cpu/samples as the interval goes.</summary>
/// <remarks>
/// The gateway samples llama-server and itself every 100 ms (slower while idle, each slow sample counted as the fast ones
/// it stands for) and keeps five minutes of numbered samples. This marks where the interval starts, reads on every
/// 30 s so a longer interval loses nothing, and on stopping waits for the first sample taken after the stop: that one
/// covers the interval's last moments. The reads cost the gateway about a millisecond of CPU each, once per 30 s.
/// </remarks>
public sealed class GatewaySamples : IAsyncDisposable
{
    private static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly List<CpuSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _after;
    private int _intervalMs = 100;
    private long _dropped;

    private GatewaySamples(HttpClient http, long next)
    {
        _http = http;
        _after = next - 1;
        _reading = ReadOnAsync();
    }

    /// <summary>Whether the gateway serves its samples: not an older gateway (404); an admin key refused is an error to see.</summary>
    public static async Task<bool> ServedAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("admin/cpu/samples", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>
    /// Starts an interval at the first sample boundary after now: it waits for the gateway's next sample, whose interval
    /// began before now (a second before, while the gateway samples slowly at idle), and counts from the one after it.
    /// So nothing before the interval is in it, the cost of this very request included.
    /// </summary>
    public static async Task<GatewaySamples> StartAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var next = await NextAsync(http, cancellationToken);
        // A generous ceiling (5 s) on a wait of at most one idle interval: a gateway that stopped sampling is read as it is.
        // Few polls: each is a request the gateway's runtime counts towards compiling that path again (ReportOptions.Settle).
        for (var polls = 0; polls < 25 && await NextAsync(http, cancellationToken) <= next; polls++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        return new GatewaySamples(http, next + 1);
    }

    /// <summary>Every sample the gateway still keeps (its last five minutes), oldest first.</summary>
    public static async Task<IReadOnlyList<CpuSample>> KeptAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var body = JsonDocument.Parse(await http.GetStringAsync("admin/cpu/samples?after=-1", cancellationToken));
        var interval = body.RootElement.GetProperty("interval_ms").GetInt32();
        return [.. body.RootElement.GetProperty("samples").EnumerateArray().Select(s => Parse(s, interval)).OfType<CpuSample>()];
    }

    /// <summary>Ends the interval and returns its samples, oldest first, with how many the gateway had already dropped.</summary>
    /// <param name="withTail">
    /// Also the first sample taken after now, which covers the interval's last moments (up to 100 ms while busy: the end
    /// of the last answer), and some time after it (up to a second while idle, this reader's own requests included).
    /// A workload wants it; a quiet period does not.
    /// </param>
    public async Task<(IReadOnlyList<CpuSample> Samples, long Dropped)> StopAsync(CancellationToken cancellationToken, bool withTail = true)
    {
        await _stop.CancelAsync();
        await _reading;
        var end = await NextAsync(_http, cancellationToken);
        if (!withTail)
        {
            await ReadAsync(cancellationToken);
            return ([.. _samples.Where(s => s.Sequence < end)], _dropped);
        }

        // The sample numbered 'end' is the first taken after the stop; it comes within one interval while busy, within
        // the idle interval (1 s) otherwise. A generous ceiling: a gateway that stopped sampling gives what it had.
        for (var waited = 0; waited < 100 && await ReadAsync(cancellationToken) <= end; waited++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return ([.. _samples.Where(s => s.Sequence <= end)], _dropped);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }

    /// <summary>The sampling period, from the gateway.</summary>
    public int IntervalMs => _intervalMs;

    private async Task ReadOnAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(ReadEvery, _stop.Token);
                await ReadAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (HttpRequestException)
        {
            // Read again on stopping; what the gateway still keeps then is read, the rest is counted as dropped.
        }
    }

    private static async Task<long> NextAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var body = JsonDocument.Parse(await http.GetStringAsync("admin/cpu/samples", cancellationToken));
        return body.RootElement.GetProperty("next").GetInt64();
    }

    /// <summary>Reads the samples after the last one read; returns the number the next sample will get.</summary>
    private async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        using var body = JsonDocument.Parse(await _http.GetStringAsync($"admin/cpu/samples?after={_after}", cancellationToken));
        var root = body.RootElement;
        _intervalMs = root.GetProperty("interval_ms").GetInt32();
        _dropped += root.GetProperty("dropped").GetInt64();
        foreach (var s in root.GetProperty("samples").EnumerateArray())
        {
            _after = s.GetProperty("sequence").GetInt64();
            if (Parse(s, _intervalMs) is { } sample)
            {
                _samples.Add(sample);
            }
        }

        return root.GetProperty("next").GetInt64();
    }

    /// <summary>One sample as the gateway wrote it; null when it has no llama-server figure (no process, or no baseline yet).</summary>
    private static CpuSample? Parse(JsonElement s, int intervalMs)
    {
        if (s.GetProperty("child_percent").ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        var sequence = s.GetProperty("sequence").GetInt64();
        return new CpuSample(
            sequence, sequence * intervalMs / 1000.0, s.GetProperty("child_percent").GetDouble(), s.GetProperty("gateway_percent").GetDouble(),
            s.GetProperty("child_rss_bytes").GetInt64(), s.GetProperty("gateway_rss_bytes").GetInt64(), s.GetProperty("busy").GetBoolean());
    }
}
