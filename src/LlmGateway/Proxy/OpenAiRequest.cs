using System.Text.Json;
using System.Text.Unicode;
using LlmGateway.Errors;
using LlmGateway.Hosting;
using LlmGateway.Proxy.Validation;

namespace LlmGateway.Proxy;

/// <summary>The endpoints the gateway checks before forwarding, and what each requires.</summary>
public enum OpenAiOperation
{
    ChatCompletions,
    Completions,
    Embeddings,
}

/// <summary>A request body read within the size limit and checked, kept as bytes to forward unchanged.</summary>
/// <remarks>
/// Everything llama-server would refuse with its own parser's words (or accept although OpenAI refuses it) is
/// refused here, as OpenAI does: invalid UTF-8, duplicate keys (which two parsers could read differently), and every
/// field the OpenAI reference defines, by the shapes in Validation/.
/// </remarks>
/// <param name="Model">The configured model the request names (or the default, when it names none).</param>
public sealed record OpenAiRequest(byte[] Body, bool Stream, ModelHost Model)
{
    private static readonly JsonDocumentOptions Parsing = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>Reads and validates the body; on failure the result is the OpenAI-shaped error to return.</summary>
    /// <param name="models">Where the request's "model" is looked up: an unknown name is a 404.</param>
    public static async Task<(OpenAiRequest? Request, IResult? Error)> ReadAsync(
        HttpRequest http, OpenAiOperation operation, long limit, ModelRegistry models, CancellationToken ct)
    {
        if (http.ContentLength > limit)
        {
            return (null, OpenAiError.TooLarge(limit));
        }

        byte[]? body;
        try
        {
            body = await ReadLimitedAsync(http.Body, limit, ct);
        }
        catch (BadHttpRequestException e)
        {
            // A body that ends before its Content-Length, broken chunks, or a client too slow to send it (408): Kestrel's
            // own answer would have no body at all.
            return (null, OpenAiError.Create(e.StatusCode, $"The request body could not be read: {e.Message}", "invalid_request_error", null, "invalid_body"));
        }

        if (body is null)
        {
            return (null, OpenAiError.TooLarge(limit));
        }

        if (!Utf8.IsValid(body))
        {
            return (null, OpenAiError.BadRequest("The request body is not valid UTF-8.", code: "invalid_json"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Parsing);
        }
        catch (JsonException e)
        {
            return (null, OpenAiError.BadRequest($"The request body is not valid JSON: {e.Message}", code: "invalid_json"));
        }

        using (document)
        {
            var json = document.RootElement;
            if (json.ValueKind != JsonValueKind.Object)
            {
                return (null, OpenAiError.BadRequest("The request body must be a JSON object."));
            }

            if (RequestShapes.For(operation).Check(json, "") is { } problem)
            {
                return (null, problem.ToResult());
            }

            var name = ObjectShape.Member(json, "model")?.GetString();
            if (models.Find(name) is not { } model)
            {
                return (null, OpenAiError.ModelNotFound(name!));
            }

            if (CheckBudget(json, model.Definition.SlotContext) is { } tooLarge)
            {
                return (null, tooLarge.ToResult());
            }

            return (new OpenAiRequest(body, ObjectShape.Member(json, "stream")?.ValueKind == JsonValueKind.True, model), null);
        }
    }

    /// <summary>
    /// A generation budget larger than a slot's context, refused as OpenAI refuses one larger than the model's. llama-server
    /// would take it as "until the context is full", and a non-streamed answer could then outlast Proxy:IdleTimeoutSeconds.
    /// </summary>
    private static RequestProblem? CheckBudget(JsonElement json, int slotContext)
    {
        foreach (var name in (string[])["max_tokens", "max_completion_tokens"])
        {
            if (ObjectShape.Member(json, name) is { } n && n.GetInt64() > slotContext)
            {
                return new RequestProblem(name,
                    $"'{name}' is too large: a request's context holds {slotContext} tokens here, prompt included (the model's ContextSize / Parallel).",
                    "invalid_value");
            }
        }

        return null;
    }

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
