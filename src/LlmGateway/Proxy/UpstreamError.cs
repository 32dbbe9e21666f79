using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Proxy;

/// <summary>An error answer from llama-server, rewritten into the OpenAI shape with the same status.</summary>
/// <remarks>
/// llama-server writes {"error":{"code":400,"message","type"}}: a numeric code and no param. OpenAI's schema has
/// a string code and a param, and SDKs that parse strictly could fail on the very error they should raise.
/// </remarks>
public static class UpstreamError
{
    // Error bodies are a sentence or two; a longer one is cut, not buffered whole.
    private const int MaxBytes = 16 * 1024;

    public static async Task<IResult> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var text = await ReadStartAsync(response.Content, ct);
        string? message = null, type = null, param = null, code = null;
        try
        {
            switch (JsonNode.Parse(text)?["error"])
            {
                case JsonObject error:
                    (message, type, param, code) = (AsString(error["message"]), AsString(error["type"]), AsString(error["param"]), AsString(error["code"]));
                    break;
                case JsonValue error:
                    message = AsString(error);
                    break;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or JSON that is not an object: the text itself is the message.
        }

        message ??= text.Length > 0 ? text : $"llama-server answered {status} {response.ReasonPhrase}.";
        type ??= status >= 500 ? "server_error" : "invalid_request_error";
        return OpenAiError.Create(status, message, type, param, code);
    }

    private static string? AsString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static async Task<string> ReadStartAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
    }
}
