using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmGateway.Cpu;
using LlmGateway.Scoring;
using LlmGateway.Supervision;

namespace LlmGateway.Telemetry;

/// <summary>The gateway's own instruments that are recorded as things happen: requests, tokens, CPU samples, child starts.</summary>
/// <remarks>
/// Names are the Prometheus names (units in the name, as the exporter would add them); labels are bounded:
/// model (one), endpoint (three), stream, status class and outcome. Bucket boundaries are set by views in
/// <see cref="TelemetryExtensions"/>. What is observed at scrape time is in <see cref="ObservedMetrics"/>.
/// </remarks>
public sealed class GatewayMetrics : ISupervisionEvents, ICpuSampleEvents, IRequestLatencies
{
    public const string MeterName = "LlmGateway";
    public const string RequestDuration = "llmgw_request_duration_seconds";
    public const string TimeToFirstToken = "llmgw_time_to_first_token_seconds";
    public const string TimePerOutputToken = "llmgw_time_per_output_token_seconds";
    public const string QueueWait = "llmgw_queue_wait_seconds";
    public const string PrefillDuration = "llmgw_prefill_duration_seconds";
    public const string DecodeDuration = "llmgw_decode_duration_seconds";
    public const string PrefillSpeed = "llmgw_prefill_tokens_per_second";
    public const string DecodeSpeed = "llmgw_decode_tokens_per_second";
    public const string ChildCpu = "llmgw_child_cpu_ratio";
    public const string SystemCpu = "llmgw_system_cpu_ratio";
    public const string ChildStartDuration = "llmgw_child_start_duration_seconds";

    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _tpot;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _prefill;
    private readonly Histogram<double> _decode;
    private readonly Histogram<double> _prefillSpeed;
    private readonly Histogram<double> _decodeSpeed;
    private readonly Histogram<double> _childCpu;
    private readonly Histogram<double> _systemCpu;
    private readonly Histogram<double> _startDuration;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _cachedTokens;
    private readonly Counter<long> _completionTokens;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _loads;
    private readonly Counter<long> _unloads;

    public GatewayMetrics(IMeterFactory meters, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        Durations = new LatencyWindow(time);
        FirstTokens = new LatencyWindow(time);
        _duration = meter.CreateHistogram<double>(RequestDuration, "s", "Time from a /v1 request's arrival to its last byte");
        _ttft = meter.CreateHistogram<double>(TimeToFirstToken, "s", "Time to the first content sent: the first token of a stream, the whole answer otherwise");
        _tpot = meter.CreateHistogram<double>(TimePerOutputToken, "s", "llama-server's decode time per generated token");
        _queueWait = meter.CreateHistogram<double>(QueueWait, "s", "Time a request waited for a llama-server slot");
        _prefill = meter.CreateHistogram<double>(PrefillDuration, "s", "Prompt processing time reported by llama-server");
        _decode = meter.CreateHistogram<double>(DecodeDuration, "s", "Generation time reported by llama-server");
        _prefillSpeed = meter.CreateHistogram<double>(PrefillSpeed, "{token}/s", "Prompt tokens processed per second");
        _decodeSpeed = meter.CreateHistogram<double>(DecodeSpeed, "{token}/s", "Tokens generated per second");
        _childCpu = meter.CreateHistogram<double>(ChildCpu, "1", "llama-server's CPU per sample (100 ms), 0 to 1 of the whole machine");
        _systemCpu = meter.CreateHistogram<double>(SystemCpu, "1", "The whole machine's CPU per sample, 0 to 1");
        _startDuration = meter.CreateHistogram<double>(ChildStartDuration, "s", "A model's load time: from starting its llama-server to its first 200 on /health");
        _loads = meter.CreateCounter<long>("llmgw_model_loads", "{load}", "A model's llama-server became ready (first loads, loads on demand, restarts)");
        _unloads = meter.CreateCounter<long>("llmgw_model_unloads", "{unload}", "A model's llama-server was stopped on purpose, by reason: idle (keep-alive), admin, shutdown");
        _requests = meter.CreateCounter<long>("llmgw_requests", "{request}", "/v1 requests by endpoint, stream, status class and outcome");
        _promptTokens = meter.CreateCounter<long>("llmgw_prompt_tokens", "{token}", "Prompt tokens, as usage reported them");
        _cachedTokens = meter.CreateCounter<long>("llmgw_cached_prompt_tokens", "{token}", "Prompt tokens served from llama-server's prompt cache");
        _completionTokens = meter.CreateCounter<long>("llmgw_completion_tokens", "{token}", "Generated tokens, as usage reported them");
        _inFlight = meter.CreateUpDownCounter<long>("llmgw_requests_in_flight", "{request}", "/v1 requests being handled now, queued ones included");
    }

    /// <summary>Durations of recent successful requests, for the windowed percentile gauges.</summary>
    public LatencyWindow Durations { get; }

    /// <summary>Times to first token of recent successful requests.</summary>
    public LatencyWindow FirstTokens { get; }

    /// <summary>Before routing: in flight counts every /v1 request, so it carries no model.</summary>
    public void RequestStarted() => _inFlight.Add(1);

    public void RequestEnded(RequestRecord r, int status, bool cancelled, TimeSpan duration, TimeSpan? firstContent)
    {
        _inFlight.Add(-1);
        // Bounded: a configured model's id, or "none" for a request routed to none (refused before, or naming no model served).
        var model = new KeyValuePair<string, object?>("model", r.Model ?? "none");
        var endpoint = new KeyValuePair<string, object?>("endpoint", r.Endpoint);
        var stream = new KeyValuePair<string, object?>("stream", r.Stream ? "true" : "false");
        var statusClass = new KeyValuePair<string, object?>("status_class", status >= 500 ? "5xx" : status >= 400 ? "4xx" : "2xx");
        var outcome = new KeyValuePair<string, object?>("outcome", Outcome(status, cancelled, r.Broken));
        _requests.Add(1, new TagList { model, endpoint, stream, statusClass, outcome });
        _duration.Record(duration.TotalSeconds, new TagList { model, endpoint, stream, statusClass });
        if (r.QueueWait is { } wait)
        {
            _queueWait.Record(wait.TotalSeconds, model, endpoint);
        }

        var ok = status is >= 200 and < 300 && !cancelled && !r.Broken;
        if (ok)
        {
            Durations.Add(duration.TotalSeconds);
        }

        if (firstContent is { } first)
        {
            _ttft.Record(first.TotalSeconds, model, endpoint, stream);
            if (ok)
            {
                FirstTokens.Add(first.TotalSeconds);
            }
        }

        if (r.Usage is not { } u)
        {
            return;
        }

        _promptTokens.Add(u.PromptTokens, model, endpoint);
        _cachedTokens.Add(u.CachedPromptTokens, model, endpoint);
        _completionTokens.Add(u.CompletionTokens, model, endpoint);
        Record(_prefill, u.PrefillSeconds, model, endpoint);
        Record(_decode, u.DecodeSeconds, model, endpoint);
        Record(_prefillSpeed, u.PrefillTokensPerSecond, model, endpoint);
        Record(_decodeSpeed, u.DecodeTokensPerSecond, model, endpoint);
        if (u.SecondsPerOutputToken is { } tpot)
        {
            _tpot.Record(tpot, model, endpoint, stream);
        }
    }

    public void CpuSampled(double? childPercent, double? systemPercent)
    {
        if (childPercent is { } c)
        {
            _childCpu.Record(c / 100);
        }

        if (systemPercent is { } s)
        {
            _systemCpu.Record(s / 100);
        }
    }

    public void Loaded(string model, TimeSpan loadTime)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _startDuration.Record(loadTime.TotalSeconds, tag);
        _loads.Add(1, tag);
    }

    public void Unloaded(string model, string reason) =>
        _unloads.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("reason", reason switch
        {
            "idle" or "admin" => reason,
            _ => "shutdown",
        }));

    internal static string Outcome(int status, bool cancelled, bool broken) => (status, cancelled, broken) switch
    {
        (_, true, _) => "cancelled",
        (_, _, true) => "upstream_error",
        ( >= 200 and < 300, _, _) => "ok",
        (401 or 403, _, _) => "unauthorized",
        (404, _, _) => "not_found",
        (413, _, _) => "too_large",
        (429, _, _) => "rejected",
        (503, _, _) => "unavailable",
        (504, _, _) => "timeout",
        ( >= 500, _, _) => "upstream_error",
        _ => "invalid_request",
    };

    private static void Record(Histogram<double> histogram, double? value, KeyValuePair<string, object?> model, KeyValuePair<string, object?> endpoint)
    {
        if (value is { } v)
        {
            histogram.Record(v, model, endpoint);
        }
    }
}
