using System.ClientModel;
using System.Text.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>Chat calls through the official SDK, read to their end, and what a refusal carries.</summary>
internal static class SdkCalls
{
    /// <summary>A chat call read to the end: the whole JSON answer, or every event of a stream.</summary>
    public static async Task CompleteAsync(ChatClient chat, string prompt, bool stream = false, CancellationToken ct = default)
    {
        if (!stream)
        {
            await chat.CompleteChatAsync([new UserChatMessage(prompt)], cancellationToken: ct);
            return;
        }

        await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], cancellationToken: ct))
        {
        }
    }

    /// <summary>The SDK's exception for a call the gateway refused.</summary>
    public static Task<ClientResultException> RefusedAsync(ChatClient chat, string prompt, bool stream = false) =>
        Assert.ThrowsAsync<ClientResultException>(() => CompleteAsync(chat, prompt, stream));

    /// <summary>Asserts the status, the OpenAI shape, its type, param and code; returns the "error" object.</summary>
    public static JsonElement Check(ClientResultException e, int status, string type, string? code, string? param = null)
    {
        Assert.True(status == e.Status, $"status {e.Status}, not {status}: {ApiErrorShape.Body(e)}");
        var error = ApiErrorShape.Check(ApiErrorShape.Body(e), param, code);
        Assert.Equal(type, error.GetProperty("type").GetString());
        return error;
    }

    public static string? RetryAfter(ClientResultException e) =>
        e.GetRawResponse() is { } response && response.Headers.TryGetValue("Retry-After", out var value) ? value : null;
}
