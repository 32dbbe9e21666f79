namespace LlmGateway.Gguf;

/// <summary>A tensor's description in the file header.</summary>
/// <param name="Shape">Dimensions innermost first, as ggml stores them (ne[0] is the row length).</param>
/// <param name="Offset">Byte offset of the data, relative to the start of the data section.</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<ulong> Shape, GgmlType Type, ulong Offset)
{
    public ulong ElementCount => Shape.Aggregate(1UL, (n, d) => checked(n * d));

    public ulong ByteSize
    {
        get
        {
            var layout = GgmlTypeLayout.Of(Type);
            return checked(ElementCount / (ulong)layout.BlockSize * (ulong)layout.BlockBytes);
        }
    }
}
