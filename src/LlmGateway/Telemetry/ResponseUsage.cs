using System.Text.Json;

namespace LlmGateway.Telemetry;

/// <summary>The "usage" and "timings" llama-server puts in an answer (in the last event of a stream).</summary>
public sealed record ResponseUsage(
    long PromptTokens,
    long CachedPromptTokens,
    long CompletionTokens,
    double? PrefillSeconds,
    double? DecodeSeconds,
    double? PrefillTokensPerSecond,
    double? DecodeTokensPerSecond)
{
    /// <summary>Decode time per generated token; null when none was generated.</summary>
    public double? SecondsPerOutputToken => DecodeSeconds is { } d && CompletionTokens > 0 ? d / CompletionTokens : null;

    /// <summary>Reads one JSON answer or event; null when it holds neither usage nor timings.</summary>
    public static ResponseUsage? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var hasUsage = root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object;
            var hasTimings = root.TryGetProperty("timings", out var timings) && timings.ValueKind == JsonValueKind.Object;
            if (!hasUsage && !hasTimings)
            {
                return null;
            }

            // usage is what the client saw, so it wins; a stream has only timings unless include_usage was asked.
            var cached = hasTimings ? Long(timings, "cache_n") : null;
            var prompt = hasUsage ? Long(usage, "prompt_tokens") : Long(timings, "prompt_n") + (cached ?? 0);
            var completion = hasUsage ? Long(usage, "completion_tokens") : Long(timings, "predicted_n");
            if (hasUsage && usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object)
            {
                cached = Long(details, "cached_tokens") ?? cached;
            }

            return new ResponseUsage(prompt ?? 0, cached ?? 0, completion ?? 0,
                hasTimings ? Double(timings, "prompt_ms") / 1000 : null,
                hasTimings ? Double(timings, "predicted_ms") / 1000 : null,
                hasTimings ? Double(timings, "prompt_per_second") : null,
                hasTimings ? Double(timings, "predicted_per_second") : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The last SSE "data:" event holding "timings" in the tail of a stream.</summary>
    public static ResponseUsage? ParseStreamTail(ReadOnlySpan<byte> tail)
    {
        var at = tail.LastIndexOf("\"timings\""u8);
        if (at < 0)
        {
            return null;
        }

        var start = tail[..at].LastIndexOf("data: "u8);
        if (start < 0)
        {
            return null;
        }

        var json = tail[(start + 6)..];
        var end = json.IndexOf((byte)'\n');
        return Parse(end < 0 ? json : json[..end]);
    }

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
