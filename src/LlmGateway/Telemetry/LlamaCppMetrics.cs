using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using LlmGateway.Supervision;

namespace LlmGateway.Telemetry;

/// <summary>llama-server's own metrics (llamacpp:*), re-exported as llamacpp_* so one scrape of the gateway sees both.</summary>
/// <remarks>
/// Polled every few seconds rather than at scrape time: instruments are read synchronously, and a scrape must
/// not wait on llama-server. Instruments are made as names first appear, counters as counters, the rest as gauges; names keep llama-server's.
/// </remarks>
public sealed partial class LlamaCppMetrics(LlamaServerConnection connection, IMeterFactory meters, ILogger<LlamaCppMetrics> logger, TimeProvider time)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly Meter _meter = meters.Create(GatewayMetrics.MeterName);
    private readonly ConcurrentDictionary<string, double> _values = new();
    private readonly HashSet<string> _instruments = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!connection.State.IsReady)
            {
                continue;
            }

            try
            {
                using var request = connection.CreateRequest(HttpMethod.Get, "/metrics");
                if (request is null)
                {
                    continue;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Interval);
                using var response = await connection.Invoker.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    Update(await response.Content.ReadAsStringAsync(timeout.Token));
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(logger, e.Message);
            }
        }
    }

    /// <summary>Takes in llama-server's Prometheus text.</summary>
    internal void Update(string text)
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
            _values[name] = value;
            lock (_instruments)
            {
                if (_instruments.Add(name))
                {
                    // A "counter" without _total (n_tokens_max is a high-water mark) stays a gauge, so its name stays llama-server's.
                    var isCounter = types.GetValueOrDefault(line[..space]) == "counter" && name.EndsWith("_total", StringComparison.Ordinal);
                    if (isCounter)
                    {
                        _meter.CreateObservableCounter(name, () => _values.GetValueOrDefault(name), null, "llama-server's " + line[..space]);
                    }
                    else
                    {
                        _meter.CreateObservableGauge(name, () => _values.GetValueOrDefault(name), null, "llama-server's " + line[..space]);
                    }
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "llama-server's /metrics could not be read: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
