using LlmGateway.Gguf;

namespace LlmGateway.Memory;

/// <summary>What one KV cell (one token of context) weighs in a model: its layers and the key and value widths.</summary>
/// <param name="Layers">n_layer.</param>
/// <param name="KeyValueWidth">n_embd_k_gqa + n_embd_v_gqa summed over the layers (head_count_kv may differ per layer).</param>
public sealed record KvCacheShape(int Layers, long KeyValueWidth)
{
    /// <summary>llama-server's default KV type, f16.</summary>
    public const int BytesPerElement = 2;

    /// <summary>Bytes per KV cell over all layers, in llama-server's default type (f16).</summary>
    public long BytesPerCell => KeyValueWidth * BytesPerElement;

    /// <summary>Bytes of <paramref name="cells"/> KV cells in <paramref name="kvCacheType"/> (LlamaServer:KvCacheType; null: f16).</summary>
    /// <remarks>ggml's block sizes: a quantised type stores 32 values in a block of that many bytes (q8_0: 32 values and a scale, 34 bytes).</remarks>
    public long Bytes(long cells, string? kvCacheType)
    {
        var (blockBytes, blockValues) = kvCacheType switch
        {
            "f32" => (4, 1),
            "q8_0" => (34, 32),
            "q5_1" => (24, 32),
            "q5_0" => (22, 32),
            "q4_1" => (20, 32),
            "q4_0" or "iq4_nl" => (18, 32),
            _ => (BytesPerElement, 1), // f16, bf16
        };
        return cells * KeyValueWidth * blockBytes / blockValues;
    }

    /// <summary>Null when the file lacks the attention facts (a non-transformer, or a broken file): the KV cache is then not estimated.</summary>
    public static KvCacheShape? From(GgufFile file)
    {
        var arch = file.GetString("general.architecture");
        if (arch is null || file.GetUInt64($"{arch}.block_count") is not { } layers || layers is 0 or > 100_000
            || file.GetUInt64($"{arch}.attention.head_count") is not { } heads || heads == 0)
        {
            return null;
        }

        var embedding = file.GetUInt64($"{arch}.embedding_length") ?? 0;
        var keyLength = file.GetUInt64($"{arch}.attention.key_length") ?? embedding / heads;
        var valueLength = file.GetUInt64($"{arch}.attention.value_length") ?? embedding / heads;
        var kvHeads = KvHeadsPerLayer(file, $"{arch}.attention.head_count_kv", (int)layers) ?? Enumerable.Repeat((long)heads, (int)layers).ToArray();
        var width = kvHeads.Sum(h => h * (long)(keyLength + valueLength));
        return width <= 0 ? null : new KvCacheShape((int)layers, width);
    }

    /// <summary>head_count_kv is one number, or one per layer in models that mix attention kinds.</summary>
    private static long[]? KvHeadsPerLayer(GgufFile file, string key, int layers)
    {
        if (!file.TryGetValue(key, out var value))
        {
            return null;
        }

        if (value.TryGetUInt64(out var one))
        {
            return Enumerable.Repeat((long)one, layers).ToArray();
        }

        return value.Value is GgufArray array
            ? array.Items.Cast<object>().Select(x => Convert.ToInt64(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : null;
    }
}
