using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Errors;

namespace LlmGateway.Proxy;

/// <summary>An error answer from llama-server, rewritten into the OpenAI shape; a refusal of the input becomes a 400.</summary>
/// <remarks>
/// llama-server writes {"error":{"code":400,"message","type"}}: a numeric code and no param. OpenAI's schema has
/// a string code and a param, and SDKs that parse strictly could fail on the very error they should raise.
/// llama-server also answers 500 to much that is the client's fault (any exception in its request parsing that is
/// not an invalid_argument: its JSON library's type errors, "Unsupported param", a prompt it cannot tokenize) and 501
/// to features it lacks. SDKs retry every 5xx, and a retry of bad input fails the same way; so those become 400
/// invalid_request_error here, the one place that decides, and every other 5xx stays a server fault.
/// </remarks>
public static class UpstreamError
{
    // Error bodies are a sentence or two; a longer one is cut, not buffered whole.
    private const int MaxBytes = 16 * 1024;

    /// <summary>Words of llama-server's 500s that blame the request, not the server (case-insensitive).</summary>
    private static readonly string[] InputProblems =
    [
        "[json.exception", // nlohmann::json: parse_error, type_error ("type must be number, but is string"), out_of_range on a key
        "parse error",
        "type must be",
        "tokeniz", // "Failed to tokenize prompt"
        "too large", // "input (3662 tokens) is too large to process. increase the physical batch size" (embeddings)
        "invalid token",
        "unsupported", // "Unsupported param: best_of", "unsupported content[].type"
        "not supported", // "image input is not supported"
        "only no echo",
        "is required",
        "requires",
        "must be",
        "must not",
        "expected",
        "invalid",
        "cannot use",
        "schema", // JSON Schema the grammar converter cannot read
        "grammar",
        "base64",
        "failed to load image",
        "failed to download",
    ];

    /// <summary>The status and type the client gets for llama-server's <paramref name="status"/> with <paramref name="message"/>.</summary>
    public static (int Status, string Type, string? Code) Classify(int status, string message)
    {
        if (status == StatusCodes.Status501NotImplemented)
        {
            return (StatusCodes.Status400BadRequest, "invalid_request_error", "unsupported");
        }

        if (status == StatusCodes.Status500InternalServerError && InputProblems.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase)))
        {
            return (StatusCodes.Status400BadRequest, "invalid_request_error", "invalid_request");
        }

        return (status, status >= 500 ? "server_error" : "invalid_request_error", null);
    }

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
        var (answer, answerType, answerCode) = Classify(status, message);
        if (answer != status)
        {
            // llama-server's type said "server_error" or "not_supported_error": that is what is being corrected.
            (type, code) = (answerType, answerCode);
        }

        return OpenAiError.Create(answer, message, type ?? answerType, param, code ?? answerCode);
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
