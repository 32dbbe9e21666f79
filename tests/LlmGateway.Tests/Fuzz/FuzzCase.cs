using System.Text;

namespace LlmGateway.Tests.Fuzz;

/// <summary>One fuzzed request: where it goes, what changed in its body, and how it travels.</summary>
/// <param name="Variant">The transport's detail: a content type, a header, a framing.</param>
/// <param name="Delta">How far a lying Content-Length is from the truth.</param>
/// <param name="Typed">For a typed SDK call, its options; the body is then the SDK's to write.</param>
internal sealed record FuzzCase(string Path, Mutation Mutation, byte[] Body, Transport Transport, string Variant = "", int Delta = 0, TypedCall? Typed = null)
{
    /// <summary>Whether the request is well-formed HTTP, so that the gateway (not Kestrel) answers and must answer OpenAI-shaped.</summary>
    public bool ReachesTheGateway => Transport != Transport.BadFraming;

    /// <summary>The request as a failure report prints it: bytes that are not UTF-8 as \xNN, long bodies cut.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var shown = Body.AsSpan(0, Math.Min(Body.Length, 1000));
        var i = 0;
        while (i < shown.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(shown[i..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.IsBmp && char.IsControl((char)rune.Value) ? $"\\u{rune.Value:x4}" : rune.ToString());
            }
            else
            {
                text.Append($"\\x{shown[i]:X2}");
                consumed = 1;
            }

            i += consumed;
        }

        if (Typed is not null)
        {
            return $"POST {Path} via the SDK's typed CompleteChat: {Typed}";
        }

        var cut = Body.Length > shown.Length ? $" ... ({Body.Length} bytes)" : "";
        return $"POST {Path} via {Transport}{(Variant.Length > 0 ? $" ({Variant})" : "")}, mutation {Mutation.Kind} {Mutation.Detail}\n  body: {text}{cut}";
    }
}
