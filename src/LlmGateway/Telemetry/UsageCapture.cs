using System.Buffers;

namespace LlmGateway.Telemetry;

/// <summary>Keeps what is needed of an answer passing through to read its usage and timings at the end.</summary>
/// <remarks>
/// A whole JSON answer up to 1 MiB (embeddings can be larger; their usage is then not counted), or the last
/// 16 KiB of a stream, where llama-server's final event carries the timings. Copying costs a memcpy per chunk.
/// </remarks>
public sealed class UsageCapture(bool streaming)
{
    private const int MaxAnswer = 1 << 20;
    private const int StreamTail = 16 * 1024;
    private readonly ArrayBufferWriter<byte> _answer = new(streaming ? 2 * StreamTail : 4096);
    private bool _tooLarge;

    /// <summary>Whether a stream chunk carries generated text: a non-empty "content" (chat) or "text" (completions).</summary>
    public static bool HasContent(ReadOnlySpan<byte> chunk) =>
        NonEmptyAfter(chunk, "\"content\":\""u8) || NonEmptyAfter(chunk, "\"text\":\""u8);

    public void Add(ReadOnlySpan<byte> chunk)
    {
        if (streaming)
        {
            if (_answer.WrittenCount + chunk.Length > 2 * StreamTail)
            {
                // Keep the newest StreamTail bytes (of what we had plus this chunk) and start over from them.
                var kept = Tail(_answer.WrittenSpan, chunk, StreamTail);
                _answer.ResetWrittenCount();
                _answer.Write(kept);
            }
            else
            {
                _answer.Write(chunk);
            }

            return;
        }

        if (_tooLarge || _answer.WrittenCount + chunk.Length > MaxAnswer)
        {
            _tooLarge = true;
            return;
        }

        _answer.Write(chunk);
    }

    public ResponseUsage? Result() =>
        streaming ? ResponseUsage.ParseStreamTail(_answer.WrittenSpan) : _tooLarge ? null : ResponseUsage.Parse(_answer.WrittenSpan);

    private static byte[] Tail(ReadOnlySpan<byte> before, ReadOnlySpan<byte> chunk, int length)
    {
        var tail = new byte[Math.Min(length, before.Length + chunk.Length)];
        var fromChunk = Math.Min(chunk.Length, tail.Length);
        var fromBefore = tail.Length - fromChunk;
        before[^fromBefore..].CopyTo(tail);
        chunk[^fromChunk..].CopyTo(tail.AsSpan(fromBefore));
        return tail;
    }

    private static bool NonEmptyAfter(ReadOnlySpan<byte> chunk, ReadOnlySpan<byte> key)
    {
        var at = chunk.IndexOf(key);
        return at >= 0 && at + key.Length < chunk.Length && chunk[at + key.Length] != (byte)'"';
    }
}
