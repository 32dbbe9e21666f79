namespace LlmGateway.Gguf;

/// <summary>What a model file says about itself, in the terms a user chooses a model by.</summary>
public sealed record GgufModelInfo(
    string Architecture,
    string? Name,
    ulong? ContextLength,
    ulong? EmbeddingLength,
    ulong? BlockCount,
    string Quantization,
    ulong ParameterCount,
    long FileSize,
    bool HasChatTemplate)
{
    public static GgufModelInfo From(GgufFile file)
    {
        var architecture = file.GetString("general.architecture")
            ?? throw new GgufFormatException("model", "general.architecture is missing", 0);

        return new GgufModelInfo(
            architecture,
            file.GetString("general.name"),
            file.GetUInt64($"{architecture}.context_length"),
            file.GetUInt64($"{architecture}.embedding_length"),
            file.GetUInt64($"{architecture}.block_count"),
            QuantizationOf(file),
            file.Tensors.Aggregate(0UL, (n, t) => n + t.ElementCount),
            file.FileLength,
            file.GetString("tokenizer.chat_template") is { Length: > 0 });
    }

    /// <summary>The llama.cpp file type name (Q4_K_M ...), else the type most of the weights use.</summary>
    private static string QuantizationOf(GgufFile file)
    {
        if (file.GetUInt64("general.file_type") is { } fileType && FileTypeNames.TryGetValue(fileType, out var name))
        {
            return name;
        }

        return file.Tensors.Count == 0
            ? "unknown"
            : file.Tensors.GroupBy(t => t.Type).MaxBy(g => g.Aggregate(0UL, (n, t) => n + t.ByteSize))!.Key.ToString();
    }

    // llama.h, enum llama_ftype.
    private static readonly Dictionary<ulong, string> FileTypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S",
        [22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S", [27] = "IQ3_M",
        [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M", [32] = "BF16", [36] = "TQ1_0",
        [37] = "TQ2_0", [38] = "MXFP4_MOE", [39] = "NVFP4", [40] = "Q1_0", [41] = "Q2_0",
    };
}
