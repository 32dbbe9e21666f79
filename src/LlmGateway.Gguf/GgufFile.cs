namespace LlmGateway.Gguf;

/// <summary>The header of a GGUF file: metadata in file order, tensor descriptions and data layout.</summary>
/// <remarks>Tensor data is not loaded; <see cref="DataOffset"/> and each tensor's offset locate it.</remarks>
public sealed class GgufFile
{
    public const uint DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";

    private readonly Dictionary<string, GgufValue> _byKey;

    public GgufFile(
        uint version,
        IReadOnlyList<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<GgufTensorInfo> tensors,
        long dataOffset,
        long fileLength)
    {
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
        FileLength = fileLength;
        _byKey = metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    public uint Version { get; }

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Where the data section starts: the end of the header, rounded up to <see cref="Alignment"/>.</summary>
    public long DataOffset { get; }

    public long FileLength { get; }

    public uint Alignment => _byKey.TryGetValue(AlignmentKey, out var v) && v.Value is uint a ? a : DefaultAlignment;

    public bool TryGetValue(string key, out GgufValue value) => _byKey.TryGetValue(key, out value);

    public string? GetString(string key) => _byKey.TryGetValue(key, out var v) ? v.Value as string : null;

    public ulong? GetUInt64(string key) => _byKey.TryGetValue(key, out var v) && v.TryGetUInt64(out var n) ? n : null;
}
