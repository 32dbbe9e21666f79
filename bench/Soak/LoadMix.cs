using System.Net;
using System.Text;
using System.Text.Json;

namespace Soak;

/// <summary>The steady mixed load: streams and non-streams of distinct long prompts, client aborts and bad requests.</summary>
/// <remarks>
/// Every good request has a prompt never sent before (its number leads it, so no cached prefix is shared), so
/// llama-server's prompt cache keeps growing until its bound evicts the oldest states.
/// </remarks>
public sealed class LoadMix(HttpClient http, string model, SoakSettings settings, Tally tally, FaultLog faults)
{
    private static readonly string[] Words =
    [
        "river", "stone", "window", "garden", "silver", "market", "winter", "paper", "engine", "forest", "yellow", "bridge",
        "candle", "harbor", "letter", "mountain", "orange", "pocket", "rabbit", "shadow", "thunder", "valley", "wooden", "anchor",
        "basket", "castle", "desert", "feather", "island", "jacket", "kettle", "ladder", "meadow", "needle", "office", "pillow",
        "quiet", "ribbon", "saddle", "tunnel", "violin", "wagon", "bottle", "cotton", "dragon", "finger", "ginger", "hammer",
        "the", "and", "under", "over", "before", "after", "green", "blue", "small", "large", "early", "late", "north", "south",
    ];

    /// <summary>How long one request may take before it counts as a hang.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    private long _prompts;

    public async Task RunWorkerAsync(int worker, CancellationToken stop)
    {
        var random = new Random(1000 + worker);
        while (!stop.IsCancellationRequested)
        {
            var roll = random.Next(100);
            var started = DateTimeOffset.UtcNow;
            string outcome;
            string? detail = null;
            try
            {
                (outcome, detail) = roll switch
                {
                    < 40 => await StreamAsync(random, abort: false),
                    < 80 => await NonStreamAsync(),
                    < 90 => await StreamAsync(random, abort: true),
                    _ => await BadRequestAsync(random),
                };
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or JsonException)
            {
                (outcome, detail) = ("error", $"{e.GetType().Name}: {e.Message}");
            }

            if (outcome == "error" && faults.Explains(started, DateTimeOffset.UtcNow))
            {
                outcome = "fault_explained";
            }

            tally.Add(outcome, outcome == "fault_explained" ? detail : detail is null ? null : $"{started:HH:mm:ss} {detail}");
            if (outcome is "error" or "fault_explained")
            {
                await Task.Delay(100, CancellationToken.None); // no tight loop against a restarting child
            }
        }
    }

    private string Prompt()
    {
        var n = Interlocked.Increment(ref _prompts);
        var random = new Random((int)n);
        var text = new StringBuilder($"Request {n}. Summarize:");
        for (var i = 0; i < settings.PromptWords; i++)
        {
            text.Append(' ').Append(Words[random.Next(Words.Length)]);
        }

        return text.ToString();
    }

    private StringContent Body(bool stream) => new(JsonSerializer.Serialize(new
    {
        model,
        messages = new[] { new { role = "user", content = Prompt() } },
        max_tokens = settings.MaxTokens,
        stream,
    }), Encoding.UTF8, "application/json");

    private async Task<(string, string?)> NonStreamAsync()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var response = await http.PostAsync("/v1/chat/completions", Body(stream: false), cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return ("error", $"non-stream {(int)response.StatusCode}: {Short(text)}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("choices").GetArrayLength() > 0 ? ("nonstream_ok", null) : ("error", "non-stream: no choices");
    }

    /// <summary>A stream read to [DONE]; or, as a client that leaves, dropped after the first chunk or before the headers.</summary>
    private async Task<(string, string?)> StreamAsync(Random random, bool abort)
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(stream: true) };
        if (abort && random.Next(2) == 0)
        {
            // Gone before the answer starts: often while queued for the slot or during prompt processing.
            using var early = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            early.CancelAfter(TimeSpan.FromMilliseconds(random.Next(1, 300)));
            try
            {
                using var r = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, early.Token);
                await r.Content.CopyToAsync(Stream.Null, early.Token);
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
            }

            return ("aborted_by_client", null);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return ("error", $"stream {(int)response.StatusCode}: {Short(await response.Content.ReadAsStringAsync(cts.Token))}");
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var chunks = 0;
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line == "data: [DONE]")
            {
                return ("stream_ok", null);
            }

            if (++chunks == 1 && abort)
            {
                return ("aborted_by_client", null); // disposing the response closes the connection mid-stream
            }
        }

        return ("error", $"stream ended without [DONE] after {chunks} chunks");
    }

    /// <summary>Requests the gateway must refuse with an OpenAI-shaped 4xx, without troubling llama-server.</summary>
    private async Task<(string, string?)> BadRequestAsync(Random random)
    {
        var (body, expected) = random.Next(4) switch
        {
            0 => ("{\"messages\": [", HttpStatusCode.BadRequest),
            1 => ($"{{\"model\":\"{model}\"}}", HttpStatusCode.BadRequest),
            2 => ("{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", HttpStatusCode.NotFound),
            _ => ($"{{\"model\":\"{model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}],\"max_tokens\":\"many\"}}", HttpStatusCode.BadRequest),
        };
        using var cts = new CancellationTokenSource(Deadline);
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var shaped = text.Contains("\"error\"", StringComparison.Ordinal);
        return response.StatusCode == expected && shaped
            ? ("bad_request_rejected", null)
            : ("error", $"bad request {body[..Math.Min(40, body.Length)]} got {(int)response.StatusCode} (expected {(int)expected}): {Short(text)}");
    }

    private static string Short(string text) => text.Length <= 200 ? text : text[..200];
}
