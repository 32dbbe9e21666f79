using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>How one request ended, as a client under a fault sees it.</summary>
public enum FaultOutcome
{
    /// <summary>200 and the whole answer: a non-stream's JSON with a choice, or a stream ending with "data: [DONE]".</summary>
    Complete,

    /// <summary>502 or 503, OpenAI-shaped, with Retry-After.</summary>
    RetryLater,

    /// <summary>A stream whose connection broke before "data: [DONE]": the client knows it is incomplete.</summary>
    Aborted,

    /// <summary>Anything else: a truncated answer that looks complete, an error without Retry-After, another status.</summary>
    Wrong,
}

/// <summary>Chat requests made with plain HttpClient, read to the end and classified; no retries.</summary>
public static class FaultClient
{
    public static async Task<(FaultOutcome Outcome, string Detail)> ChatAsync(HttpClient http, string model, bool stream, int maxTokens, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model,
                messages = new[] { new { role = "user", content = "Tell a story." } },
                max_tokens = maxTokens,
                ignore_eos = true, // exactly maxTokens: the random-weight model's rare end-of-turn token cannot cut a "long" request short
                stream,
            }),
        };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            return (FaultOutcome.Wrong, $"no response: {e.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is 502 or 503)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                var shaped = body.Contains("\"error\"", StringComparison.Ordinal) && body.Contains("\"type\"", StringComparison.Ordinal);
                return response.Headers.RetryAfter?.Delta > TimeSpan.Zero && shaped
                    ? (FaultOutcome.RetryLater, status.ToString(CultureInfo.InvariantCulture))
                    : (FaultOutcome.Wrong, $"{status} without Retry-After or OpenAI shape: {body}");
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (FaultOutcome.Wrong, $"{status}: {await response.Content.ReadAsStringAsync(ct)}");
            }

            var text = new StringBuilder();
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                using var reader = new StreamReader(body);
                var buffer = new char[4096];
                int read;
                while ((read = await reader.ReadAsync(buffer, ct)) > 0)
                {
                    text.Append(buffer, 0, read);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                return stream ? (FaultOutcome.Aborted, e.Message) : (FaultOutcome.Wrong, $"a non-stream 200 broke off: {e.Message}");
            }

            var all = text.ToString();
            if (stream)
            {
                return all.TrimEnd().EndsWith("data: [DONE]", StringComparison.Ordinal)
                    ? (FaultOutcome.Complete, "stream")
                    : (FaultOutcome.Wrong, $"a stream ended cleanly without [DONE]: ...{all[Math.Max(0, all.Length - 200)..]}");
            }

            try
            {
                var content = JsonDocument.Parse(all).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
                return content is null ? (FaultOutcome.Wrong, all) : (FaultOutcome.Complete, "json");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                return (FaultOutcome.Wrong, $"a non-stream 200 that is not a whole answer: {all}");
            }
        }
    }
}
