using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Report;

/// <summary>Sends one workload request as a stream and times it: time to the first token, to the end, and the usage and timings.</summary>
/// <remarks>
/// A plain HttpClient reading the server-sent events, not the OpenAI SDK: the SDK drops llama-server's "timings"
/// object, which the report needs to compare its own clock with llama-server's. No retries: a failure is a result.
/// </remarks>
public sealed class ChatStreamClient(HttpClient http, string model)
{
    public async Task<RequestResult> SendAsync(WorkloadRequest request, double startSeconds, CancellationToken cancellationToken)
    {
        var body = (JsonObject)request.Body.DeepClone();
        body["model"] ??= model;
        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        var clock = Stopwatch.StartNew();
        double? ttft = null;
        long? promptTokens = null, completionTokens = null;
        LlamaTimings? timings = null;
        var answer = new StringBuilder();
        RequestResult Result(bool ok, string? error) => new(
            request.Id, request.Line, ok, error, startSeconds, clock.Elapsed.TotalSeconds, ttft, promptTokens, completionTokens, timings,
            ok && request.Expected is { } expected ? expected.Matches(answer.ToString()) : null, answer.ToString());

        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                return Result(false, $"HTTP {(int)response.StatusCode}: {ErrorMessage(text)}");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            var done = false;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line[5..].Trim();
                if (data == "[DONE]")
                {
                    done = true;
                    break;
                }

                using var chunk = JsonDocument.Parse(data);
                var root = chunk.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    return Result(false, $"error event: {error}");
                }

                if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
                {
                    foreach (var choice in choices.EnumerateArray())
                    {
                        if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                            && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } piece)
                        {
                            ttft ??= clock.Elapsed.TotalSeconds;
                            answer.Append(piece);
                        }
                    }
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    promptTokens = Long(usage, "prompt_tokens");
                    completionTokens = Long(usage, "completion_tokens");
                }

                if (root.TryGetProperty("timings", out var t) && t.ValueKind == JsonValueKind.Object)
                {
                    timings = new LlamaTimings(
                        Long(t, "prompt_n") ?? 0, Double(t, "prompt_ms") ?? 0, Long(t, "predicted_n") ?? 0, Double(t, "predicted_ms") ?? 0, Long(t, "cache_n") ?? 0);
                }
            }

            return done ? Result(true, null) : Result(false, "the stream ended without [DONE]");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Result(false, e is TaskCanceledException ? "timed out" : e.Message);
        }
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var m) ? m.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private static long? Long(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;

    private static double? Double(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.TryGetDouble(out var d) ? d : null;
}
