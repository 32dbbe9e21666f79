using System.ClientModel;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>Checks that an error body is what every OpenAI SDK parses: {"error":{"message","type","param","code"}}.</summary>
internal static class ApiErrorShape
{
    /// <summary>Asserts the shape, nothing more; returns the "error" object.</summary>
    public static JsonElement Check(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(["error"], root.EnumerateObject().Select(p => p.Name));

        var error = root.GetProperty("error");
        Assert.Equal(["code", "message", "param", "type"], error.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), body);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()), body);
        Assert.Contains(error.GetProperty("param").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        Assert.Contains(error.GetProperty("code").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        return error.Clone();
    }

    /// <summary>Asserts the shape and the param and code it names.</summary>
    public static JsonElement Check(string body, string? param, string? code)
    {
        var error = Check(body);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        return error;
    }

    /// <summary>The body of the answer that made the SDK throw.</summary>
    public static string Body(ClientResultException e) =>
        e.GetRawResponse()?.Content.ToString() ?? throw new InvalidOperationException($"The exception carries no response: {e.Message}");
}
