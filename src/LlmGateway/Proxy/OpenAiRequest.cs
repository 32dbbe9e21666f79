using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Model;

namespace LlmGateway.Proxy;

/// <summary>The endpoints the gateway checks before forwarding, and what each requires.</summary>
public enum OpenAiOperation
{
    ChatCompletions,
    Completions,
    Embeddings,
}

/// <summary>A request body read within the size limit and checked, kept as bytes to forward unchanged.</summary>
public sealed record OpenAiRequest(byte[] Body, bool Stream)
{
    /// <summary>Reads and validates the body; on failure the result is the OpenAI-shaped error to return.</summary>
    public static async Task<(OpenAiRequest? Request, IResult? Error)> ReadAsync(
        HttpRequest http, OpenAiOperation operation, long limit, ServedModel model, CancellationToken ct)
    {
        if (http.ContentLength > limit)
        {
            return (null, OpenAiError.TooLarge(limit));
        }

        var body = await ReadLimitedAsync(http.Body, limit, ct);
        if (body is null)
        {
            return (null, OpenAiError.TooLarge(limit));
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            return (null, OpenAiError.BadRequest($"The request body is not valid JSON: {e.Message}", code: "invalid_json"));
        }

        if (root is not JsonObject json)
        {
            return (null, OpenAiError.BadRequest("The request body must be a JSON object."));
        }

        var problem = Validate(json, operation);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (json["model"] is JsonValue m && m.TryGetValue<string>(out var name) && !model.Answers(name))
        {
            return (null, OpenAiError.ModelNotFound(name));
        }

        var stream = json["stream"] is JsonValue s && s.TryGetValue<bool>(out var b) && b;
        return (new OpenAiRequest(body, stream), null);
    }

    private static IResult? Validate(JsonObject json, OpenAiOperation operation)
    {
        if (json["model"] is { } model && !IsString(model))
        {
            return WrongType("model", "a string");
        }

        if (json["stream"] is { } stream && stream.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return WrongType("stream", "a boolean");
        }

        foreach (var name in new[] { "max_tokens", "max_completion_tokens", "n" })
        {
            if (json[name] is { } n && !(n is JsonValue v && v.TryGetValue<long>(out var count) && count >= 1))
            {
                return OpenAiError.BadRequest($"'{name}' must be a positive integer.", name, "invalid_value");
            }
        }

        foreach (var name in new[] { "temperature", "top_p", "presence_penalty", "frequency_penalty" })
        {
            if (json[name] is { } x && x.GetValueKind() != JsonValueKind.Number)
            {
                return WrongType(name, "a number");
            }
        }

        return operation switch
        {
            OpenAiOperation.ChatCompletions => ValidateMessages(json["messages"]),
            OpenAiOperation.Completions when json["prompt"] is null => Missing("prompt"),
            OpenAiOperation.Embeddings when json["input"] is null => Missing("input"),
            _ => null,
        };
    }

    private static IResult? ValidateMessages(JsonNode? messages)
    {
        if (messages is null)
        {
            return Missing("messages");
        }

        if (messages is not JsonArray array)
        {
            return WrongType("messages", "an array of messages");
        }

        if (array.Count == 0)
        {
            return OpenAiError.BadRequest("'messages' must contain at least one message.", "messages", "invalid_value");
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject message)
            {
                return WrongType($"messages[{i}]", "an object");
            }

            if (message["role"] is not { } role || !IsString(role))
            {
                return OpenAiError.BadRequest($"'messages[{i}].role' is required and must be a string.", $"messages[{i}].role", "invalid_value");
            }

            if (message["content"] is { } content && content.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
            {
                return WrongType($"messages[{i}].content", "a string or an array of content parts");
            }
        }

        return null;
    }

    private static bool IsString(JsonNode node) => node.GetValueKind() == JsonValueKind.String;

    private static IResult Missing(string name) =>
        OpenAiError.BadRequest($"'{name}' is required.", name, "missing_required_parameter");

    private static IResult WrongType(string name, string expected) =>
        OpenAiError.BadRequest($"'{name}' must be {expected}.", name, "invalid_type");

    /// <summary>The whole body, or null as soon as it passes the limit (a missing Content-Length must not bypass it).</summary>
    private static async Task<byte[]?> ReadLimitedAsync(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
