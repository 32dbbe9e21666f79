namespace LlmGateway.ModelTool;

/// <summary>The dimensions of a decoder-only transformer; all a random-weight model needs to be real in cost.</summary>
public sealed record ModelShape(
    string Architecture,
    int Embedding,
    int Layers,
    int FeedForward,
    int Heads,
    int KvHeads,
    int ContextLength,
    bool TiedEmbeddings,
    float RopeFreqBase = 1_000_000f,
    float RmsNormEpsilon = 1e-6f)
{
    public static readonly string[] Architectures = ["qwen2", "llama"];

    public int HeadDim => Embedding / Heads;

    public int KvDim => HeadDim * KvHeads;

    /// <summary>Why the shape cannot be built, or null when it can.</summary>
    public string? Problem() => this switch
    {
        _ when !Architectures.Contains(Architecture) => $"architecture '{Architecture}' is not one of {string.Join(", ", Architectures)}",
        { Embedding: <= 0 } or { Layers: <= 0 } or { FeedForward: <= 0 } or { Heads: <= 0 } or { KvHeads: <= 0 } or { ContextLength: <= 0 }
            => "every dimension must be positive",
        _ when Embedding % Heads != 0 => $"embedding {Embedding} is not a multiple of heads {Heads}",
        _ when Heads % KvHeads != 0 => $"heads {Heads} is not a multiple of kv-heads {KvHeads}",
        _ when HeadDim % 2 != 0 => $"head size {HeadDim} must be even for rotary embeddings",
        _ => null,
    };
}
