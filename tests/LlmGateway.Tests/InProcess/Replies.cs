using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.Tests.InProcess;

/// <summary>The answers and faults the fake llama-server can give, shaped as llama-server shapes its own.</summary>
/// <remarks>
/// A reset is Kestrel's abort of the connection. What was flushed just before it may or may not have left yet, so a
/// reply that must have delivered bytes before it breaks waits for the test's <see cref="FakeScenario.Release"/>, which
/// the test calls once the client has seen those bytes.
/// </remarks>
public static class Replies
{
    public const string EventStream = "text/event-stream";
    private const string Json = "application/json";

    /// <summary>A short answer, streamed or not as asked, with usage and timings as llama-server reports them.</summary>
    public static FakeReply Answer(string text = "Hello.") => async (context, request, _) =>
    {
        if (!request.Stream)
        {
            await WriteAsync(context, StatusCodes.Status200OK, Json, AnswerJson(text));
            return;
        }

        await StartAsync(context, StatusCodes.Status200OK, EventStream);
        await WriteEventAsync(context, RoleEvent());
        await WriteEventAsync(context, ContentEvent(text));
        await WriteEventAsync(context, FinalEvent(tokens: 1, promptTokens: 5, cachedTokens: 0, withUsage: true));
        await WriteEventAsync(context, "[DONE]");
    };

    /// <summary>An answer of <paramref name="tokens"/> events, whose usage and timings come only in the last one, as llama-server sends them.</summary>
    /// <remarks>The last event is written in two parts, so the gateway reads it across two chunks.</remarks>
    public static FakeReply LongStream(int tokens, int promptTokens, int cachedTokens, bool withUsage) => async (context, _, _) =>
    {
        await StartAsync(context, StatusCodes.Status200OK, EventStream);
        await WriteEventAsync(context, RoleEvent());
        var token = ContentEvent("token ");
        for (var i = 0; i < tokens; i++)
        {
            await WriteEventAsync(context, token);
        }

        var last = $"data: {FinalEvent(tokens, promptTokens, cachedTokens, withUsage)}\n\n";
        await context.Response.WriteAsync(last[..(last.Length / 2)], context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await context.Response.WriteAsync(last[(last.Length / 2)..], context.RequestAborted);
        await WriteEventAsync(context, "[DONE]");
    };

    /// <summary>An error with exactly this status and body.</summary>
    public static FakeReply Error(int status, string body, string contentType = Json) => (context, _, _) => WriteAsync(context, status, contentType, body);

    /// <summary>An error as llama-server writes one: {"error":{"code":NUMBER,"message","type"}}, with no param.</summary>
    public static FakeReply LlamaError(int status, string message, string type) => Error(status, LlamaErrorJson(status, message, type));

    /// <summary>Waits at the scenario's gate, then answers with <paramref name="then"/>: a busy slot, held for as long as a test needs.</summary>
    public static FakeReply Gated(FakeReply then) => async (context, request, scenario) =>
    {
        await scenario.WaitUntilReleasedAsync(context.RequestAborted);
        await then(context, request, scenario);
    };

    /// <summary>Reads the request and never answers: a hung llama-server.</summary>
    public static FakeReply Stall() => (context, _, _) => HoldAsync(context);

    /// <summary>Sends the status line and headers, then nothing more.</summary>
    public static FakeReply HeadersThenStall(int status, string contentType) => async (context, _, _) =>
    {
        await StartAsync(context, status, contentType);
        await HoldAsync(context);
    };

    /// <summary>Starts a stream with one event, then nothing more.</summary>
    public static FakeReply FirstEventThenStall() => async (context, _, _) =>
    {
        await StartAsync(context, StatusCodes.Status200OK, EventStream);
        await WriteEventAsync(context, RoleEvent());
        await HoldAsync(context);
    };

    /// <summary>Sends the status line and headers (a body is announced), then drops the connection: llama-server killed.</summary>
    public static FakeReply HeadersThenReset(int status, string contentType) => async (context, _, _) =>
    {
        await StartAsync(context, status, contentType);
        context.Abort();
    };

    /// <summary>Starts a stream with one event; drops the connection once the test releases the scenario.</summary>
    public static FakeReply FirstEventThenResetOnRelease() => async (context, _, scenario) =>
    {
        await StartAsync(context, StatusCodes.Status200OK, EventStream);
        await WriteEventAsync(context, RoleEvent());
        await scenario.WaitUntilReleasedAsync(context.RequestAborted);
        context.Abort();
    };

    /// <summary>Announces a whole JSON answer, sends its start, and drops the connection once the test releases the scenario.</summary>
    public static FakeReply PartOfAnswerThenResetOnRelease() => async (context, _, scenario) =>
    {
        var json = AnswerJson("An answer that never arrives whole.");
        context.Response.ContentLength = Encoding.UTF8.GetByteCount(json);
        await StartAsync(context, StatusCodes.Status200OK, Json);
        await context.Response.WriteAsync(json[..24], context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await scenario.WaitUntilReleasedAsync(context.RequestAborted);
        context.Abort();
    };

    /// <summary>Announces an error body, sends its start, and drops the connection.</summary>
    public static FakeReply PartOfErrorThenReset(int status) => async (context, _, _) =>
    {
        var json = LlamaErrorJson(status, "An error answer that never arrives whole.", "server_error");
        context.Response.ContentLength = Encoding.UTF8.GetByteCount(json);
        await StartAsync(context, status, Json);
        await context.Response.WriteAsync(json[..10], context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        context.Abort();
    };

    public static string LlamaErrorJson(int status, string message, string type) =>
        JsonSerializer.Serialize(new { error = new { code = status, message, type } });

    public static Task WriteLlamaErrorAsync(HttpContext context, int status, string message, string type) =>
        WriteAsync(context, status, Json, LlamaErrorJson(status, message, type));

    public static async Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = Encoding.UTF8.GetByteCount(body);
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    private static string AnswerJson(string text) => new JsonObject
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = FakeLlamaServer.ModelId,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["completion_tokens"] = 1, ["prompt_tokens"] = 5, ["total_tokens"] = 6 },
    }.ToJsonString();

    private static string RoleEvent() => Chunk(new JsonObject { ["role"] = "assistant", ["content"] = null }, null).ToJsonString();

    private static string ContentEvent(string text) => Chunk(new JsonObject { ["content"] = text }, null).ToJsonString();

    private static string FinalEvent(int tokens, int promptTokens, int cachedTokens, bool withUsage)
    {
        var chunk = Chunk(new JsonObject(), "length");
        if (withUsage)
        {
            chunk["usage"] = new JsonObject
            {
                ["completion_tokens"] = tokens,
                ["prompt_tokens"] = promptTokens,
                ["total_tokens"] = tokens + promptTokens,
                ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cachedTokens },
            };
        }

        chunk["timings"] = new JsonObject
        {
            ["cache_n"] = cachedTokens,
            ["prompt_n"] = promptTokens - cachedTokens,
            ["prompt_ms"] = 12.5,
            ["prompt_per_second"] = 800.0,
            ["predicted_n"] = tokens,
            ["predicted_ms"] = tokens * 2.0,
            ["predicted_per_second"] = 500.0,
        };
        return chunk.ToJsonString();
    }

    private static JsonObject Chunk(JsonObject delta, string? finishReason) => new()
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = FakeLlamaServer.ModelId,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
    };

    private static async Task StartAsync(HttpContext context, int status, string contentType)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteEventAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync($"data: {data}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>Until the gateway closes the connection (it gave up, or its client left).</summary>
    private static Task HoldAsync(HttpContext context) => Task.Delay(Timeout.Infinite, context.RequestAborted);
}
