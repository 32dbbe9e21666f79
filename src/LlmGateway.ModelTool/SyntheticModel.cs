using LlmGateway.Gguf;

namespace LlmGateway.ModelTool;

/// <summary>Writes a random-weight model of a real architecture with a real tokenizer and chat template.</summary>
/// <remarks>
/// The weights are noise, so the model answers gibberish; but the work llama.cpp does per token (and so
/// CPU, memory and latency) depends only on the shapes and the quantization, which are real.
/// </remarks>
public static class SyntheticModel
{
    public const string SyntheticKey = "llmgateway.synthetic";
    public const string SeedKey = "llmgateway.seed";

    /// <summary>Writes the model with F16 matrices (or F32), ready for llama-quantize.</summary>
    /// <param name="vocab">A GGUF whose tokenizer.* keys are copied: a vocab-only file such as llama.cpp's ggml-vocab-qwen2.gguf.</param>
    public static void Write(string path, ModelShape shape, string name, ulong seed, GgufFile vocab, GgmlType matrixType = GgmlType.F16)
    {
        if (shape.Problem() is { } problem)
        {
            throw new ArgumentException($"Cannot build the model: {problem}.", nameof(shape));
        }

        var tokenizer = vocab.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        var tokens = tokenizer.FirstOrDefault(kv => kv.Key == "tokenizer.ggml.tokens").Value.Value as GgufArray
            ?? throw new ArgumentException("The vocab file has no tokenizer.ggml.tokens array.", nameof(vocab));

        var arch = shape.Architecture;
        var writer = new GgufWriter()
            .Add("general.architecture", GgufValue.String(arch))
            .Add("general.type", GgufValue.String("model"))
            .Add("general.name", GgufValue.String(name))
            .Add("general.description", GgufValue.String("Synthetic model with random weights: real shapes and tokenizer, meaningless output."))
            .Add("general.file_type", GgufValue.UInt32(matrixType == GgmlType.F32 ? 0u : 1u))
            .Add(SyntheticKey, GgufValue.Bool(true))
            .Add(SeedKey, GgufValue.UInt64(seed))
            .Add($"{arch}.context_length", GgufValue.UInt32((uint)shape.ContextLength))
            .Add($"{arch}.embedding_length", GgufValue.UInt32((uint)shape.Embedding))
            .Add($"{arch}.block_count", GgufValue.UInt32((uint)shape.Layers))
            .Add($"{arch}.feed_forward_length", GgufValue.UInt32((uint)shape.FeedForward))
            .Add($"{arch}.attention.head_count", GgufValue.UInt32((uint)shape.Heads))
            .Add($"{arch}.attention.head_count_kv", GgufValue.UInt32((uint)shape.KvHeads))
            .Add($"{arch}.rope.freq_base", GgufValue.Float32(shape.RopeFreqBase))
            .Add($"{arch}.attention.layer_norm_rms_epsilon", GgufValue.Float32(shape.RmsNormEpsilon));
        if (arch == "llama")
        {
            writer.Add($"{arch}.rope.dimension_count", GgufValue.UInt32((uint)shape.HeadDim))
                  .Add($"{arch}.vocab_size", GgufValue.UInt32((uint)tokens.Count));
        }

        foreach (var (key, value) in tokenizer)
        {
            writer.Add(key, value);
        }

        foreach (var tensor in TensorPlan.For(shape, tokens.Count, matrixType))
        {
            writer.AddTensor(tensor.Name, tensor.Shape, tensor.Type, output => RandomWeights.Write(output, tensor, seed));
        }

        writer.WriteTo(path);
    }
}
