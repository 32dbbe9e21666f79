using LlmGateway.Gguf;

namespace LlmGateway.ModelTool;

/// <summary>One tensor a model needs: its GGUF name, shape (innermost first) and how it is initialised.</summary>
public sealed record PlannedTensor(string Name, ulong[] Shape, GgmlType Type, WeightInit Init);

public enum WeightInit
{
    /// <summary>Uniform noise with the standard deviation of a freshly initialised layer.</summary>
    Random,

    /// <summary>All ones: RMS-norm scales, so activations keep their magnitude.</summary>
    Ones,
}

/// <summary>The tensors llama.cpp expects for an architecture, named as in its llama-arch.cpp.</summary>
public static class TensorPlan
{
    public static IReadOnlyList<PlannedTensor> For(ModelShape shape, int vocabSize, GgmlType matrixType)
    {
        ulong d = (ulong)shape.Embedding, kv = (ulong)shape.KvDim, ff = (ulong)shape.FeedForward;
        var tensors = new List<PlannedTensor>
        {
            new("token_embd.weight", [d, (ulong)vocabSize], matrixType, WeightInit.Random),
        };

        for (var i = 0; i < shape.Layers; i++)
        {
            var b = $"blk.{i}.";
            tensors.Add(new(b + "attn_norm.weight", [d], GgmlType.F32, WeightInit.Ones));
            tensors.Add(new(b + "attn_q.weight", [d, d], matrixType, WeightInit.Random));
            tensors.Add(new(b + "attn_k.weight", [d, kv], matrixType, WeightInit.Random));
            tensors.Add(new(b + "attn_v.weight", [d, kv], matrixType, WeightInit.Random));
            if (shape.Architecture == "qwen2")
            {
                tensors.Add(new(b + "attn_q.bias", [d], GgmlType.F32, WeightInit.Random));
                tensors.Add(new(b + "attn_k.bias", [kv], GgmlType.F32, WeightInit.Random));
                tensors.Add(new(b + "attn_v.bias", [kv], GgmlType.F32, WeightInit.Random));
            }

            tensors.Add(new(b + "attn_output.weight", [d, d], matrixType, WeightInit.Random));
            tensors.Add(new(b + "ffn_norm.weight", [d], GgmlType.F32, WeightInit.Ones));
            tensors.Add(new(b + "ffn_gate.weight", [d, ff], matrixType, WeightInit.Random));
            tensors.Add(new(b + "ffn_up.weight", [d, ff], matrixType, WeightInit.Random));
            tensors.Add(new(b + "ffn_down.weight", [ff, d], matrixType, WeightInit.Random));
        }

        tensors.Add(new("output_norm.weight", [d], GgmlType.F32, WeightInit.Ones));
        if (!shape.TiedEmbeddings)
        {
            tensors.Add(new("output.weight", [d, (ulong)vocabSize], matrixType, WeightInit.Random));
        }

        return tensors;
    }
}
