using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.Tests.InProcess;

/// <summary>What the fake llama-server reads of a forwarded request: the prompt that picks the scenario, and whether to stream.</summary>
public sealed record FakeRequest(string Prompt, bool Stream)
{
    public static async Task<FakeRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = document.RootElement;
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var prompt = root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() > 0
            ? messages[messages.GetArrayLength() - 1].TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null
            : root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return new FakeRequest(prompt ?? "", stream);
    }
}
