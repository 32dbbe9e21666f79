using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Hosting;

namespace LlmGateway.Telemetry;

/// <summary>llama-server's own metrics (llamacpp:*), re-exported as llamacpp_* so one scrape of the gateway sees both.</summary>
/// <remarks>
/// <para>
/// Polled rather than read at scrape time: instruments are read synchronously, and a scrape must not wait on llama-server.
/// Instruments are made as names first appear, counters as counters, the rest as gauges; names keep llama-server's.
/// </para>
/// <para>
/// Polled only when something can have changed, because each poll costs llama-server more than the answer: its HTTP
/// library checks a kept-alive connection every 10 ms until it has been idle for 5 s, so a poll every 5 s kept one of
/// its threads waking 100 times a second for ever (bench/idle-cost.sh). Only the gateway's requests reach llama-server,
/// so its numbers change only while requests run: it is polled once when a child becomes ready (so that the instruments
/// exist), every 5 s while requests are in flight, and once, a second after the last one ends. An idle gateway polls nothing.
/// </para>
/// </remarks>
public sealed partial class LlamaCppMetrics(
    ModelRegistry models, RequestActivity activity, IMeterFactory meters, ILogger<LlamaCppMetrics> logger, TimeProvider time)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>After a request ends, llama-server has long finished its bookkeeping for it.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle gateway looks whether llama-server was restarted (a new child is polled once).</summary>
    private static readonly TimeSpan IdleCheck = TimeSpan.FromMinutes(1);

    private readonly Meter _meter = meters.Create(GatewayMetrics.MeterName);
    /// <summary>Per series name, each ready model's last value (label model).</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, double>> _values = new();
    private readonly HashSet<string> _instruments = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? polledPids = null;
        long polledEnded = 0;
        var lastPoll = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var nextStart = activity.NextStart; // before InFlight is read, so that a start in between is not missed
            var ready = ReadyPids();
            // No child at all (every model unloaded): nothing to read until a request loads one, so no wake-up either.
            var wait = models.Running.Count == 0 ? null : PollPolicy.Next(
                ready is not null, ready != polledPids, activity.InFlight, activity.Ended != polledEnded, activity.SinceLastEnd, time.GetElapsedTime(lastPoll));
            if (wait is not { } delay)
            {
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    await Task.WhenAny(nextStart, Task.Delay(IdleCheck, time, idle.Token));
                    await idle.CancelAsync(); // the request came first: no timer left waiting for the minute
                }

                lastPoll = time.GetTimestamp(); // a burst that starts now is first polled an interval into it, not at its start
                continue;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, stoppingToken);
                continue; // the state may have changed meanwhile: decide again
            }

            var ended = activity.Ended;
            var settled = activity.SinceLastEnd is not { } since || since >= Settle;
            lastPoll = time.GetTimestamp();
            // A poll that failed counts as done too, so that a llama-server whose /metrics fails (or is turned off) is not
            // asked again every second while idle; the next request brings the next try.
            await PollAsync(stoppingToken);
            polledPids = ready;
            // A request that ended just now may not be counted yet by llama-server: poll again once it has settled.
            polledEnded = settled ? ended : polledEnded;
        }
    }

    /// <summary>The ready children as one number (null: none), so a changed set is polled at once.</summary>
    private long? ReadyPids()
    {
        long? key = null;
        foreach (var host in models.Hosts)
        {
            if (host.State is { IsReady: true, Pid: { } pid })
            {
                key = unchecked(((key ?? 17) * 1_000_003) + pid);
            }
        }

        return key;
    }

    /// <summary>Reads every ready model's /metrics once; a failure is logged and otherwise ignored. A model not ready loses its series.</summary>
    private async Task PollAsync(CancellationToken stoppingToken)
    {
        foreach (var host in models.Hosts)
        {
            if (!host.State.IsReady)
            {
                foreach (var series in _values.Values)
                {
                    series.TryRemove(host.Id, out _);
                }

                continue;
            }

            await PollAsync(host, stoppingToken);
        }
    }

    private async Task PollAsync(ModelHost host, CancellationToken stoppingToken)
    {
        try
        {
            using var request = host.Transport.CreateRequest(HttpMethod.Get, "/metrics");
            if (request is null)
            {
                return;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(Interval);
            using var response = await host.Transport.Invoker.SendAsync(request, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                Update(await response.Content.ReadAsStringAsync(timeout.Token), host.Id);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            LogPollFailed(logger, e.Message);
        }
    }

    /// <summary>When llama-server's /metrics is read next.</summary>
    internal static class PollPolicy
    {
        /// <summary>Zero to poll now; a wait to decide again after it; null to sleep until a request starts (or <see cref="IdleCheck"/> passes).</summary>
        /// <param name="ready">Whether a child is ready.</param>
        /// <param name="newChild">Whether that child has not been polled yet.</param>
        /// <param name="inFlight">Requests in flight.</param>
        /// <param name="endedSincePoll">Whether a request ended that the last good poll did not see settled.</param>
        /// <param name="sinceLastEnd">How long ago the last request ended.</param>
        /// <param name="sinceLastPoll">How long ago the last poll was (or the burst started).</param>
        public static TimeSpan? Next(bool ready, bool newChild, int inFlight, bool endedSincePoll, TimeSpan? sinceLastEnd, TimeSpan sinceLastPoll)
        {
            if (!ready)
            {
                return Interval; // starting, restarting or failed: nothing to read, and no request can reach it
            }

            if (newChild)
            {
                return sinceLastPoll >= Settle ? TimeSpan.Zero : Settle - sinceLastPoll; // not at once after a failed poll
            }

            if (inFlight > 0)
            {
                return sinceLastPoll >= Interval ? TimeSpan.Zero : Interval - sinceLastPoll;
            }

            if (endedSincePoll)
            {
                var settleLeft = Settle - (sinceLastEnd ?? Settle);
                var pollLeft = Settle - sinceLastPoll; // a poll that failed is not repeated at once
                var wait = settleLeft > pollLeft ? settleLeft : pollLeft;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }

            return null;
        }
    }

    /// <summary>Takes in llama-server's Prometheus text.</summary>
    internal void Update(string text, string model)
    {
        Dictionary<string, string> types = [];
        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length == 4)
                {
                    types[parts[2]] = parts[3];
                }

                continue;
            }

            var space = line.IndexOf(' ');
            if (line.StartsWith('#') || space < 0 || line.Contains('{', StringComparison.Ordinal)
                || !double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue; // labelled series: llama-server exports none today
            }

            var name = line[..space].Replace(':', '_');
            _values.GetOrAdd(name, _ => new())[model] = value;
            lock (_instruments)
            {
                if (_instruments.Add(name))
                {
                    // A "counter" without _total (n_tokens_max is a high-water mark) stays a gauge, so its name stays llama-server's.
                    var isCounter = types.GetValueOrDefault(line[..space]) == "counter" && name.EndsWith("_total", StringComparison.Ordinal);
                    if (isCounter)
                    {
                        _meter.CreateObservableCounter(name, () => Series(name), null, "llama-server's " + line[..space]);
                    }
                    else
                    {
                        _meter.CreateObservableGauge(name, () => Series(name), null, "llama-server's " + line[..space]);
                    }
                }
            }
        }
    }

    private IEnumerable<Measurement<double>> Series(string name) =>
        _values.TryGetValue(name, out var byModel)
            ? byModel.Select(m => new Measurement<double>(m.Value, new KeyValuePair<string, object?>("model", m.Key)))
            : [];

    [LoggerMessage(Level = LogLevel.Debug, Message = "llama-server's /metrics could not be read: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
