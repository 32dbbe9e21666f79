namespace LlmGateway.ModelTool;

/// <summary>A named model: a shape and the quantization it is shipped in.</summary>
public sealed record ModelPreset(string Name, string Description, ModelShape Shape, string Quantization)
{
    public static readonly IReadOnlyList<ModelPreset> All =
    [
        // Small enough for every test to start its own llama-server: about 21 MB, loads in well under a second.
        new("tiny", "2 layers, embedding 128: for tests",
            new ModelShape("qwen2", Embedding: 128, Layers: 2, FeedForward: 384, Heads: 4, KvHeads: 2, ContextLength: 4096, TiedEmbeddings: true),
            "Q8_0"),
        // Another small shape, for tests that serve two models: twice as wide and deep as tiny, still quick to load.
        new("tiny-wide", "4 layers, embedding 256: the second model of multi-model tests",
            new ModelShape("qwen2", Embedding: 256, Layers: 4, FeedForward: 768, Heads: 4, KvHeads: 2, ContextLength: 4096, TiedEmbeddings: true),
            "Q8_0"),
        // The tensor shapes of Qwen2.5-0.5B-Instruct (config.json of the Qwen release).
        new("qwen2.5-0.5b", "the shapes of Qwen2.5-0.5B-Instruct: for CPU and latency benchmarks",
            new ModelShape("qwen2", Embedding: 896, Layers: 24, FeedForward: 4864, Heads: 14, KvHeads: 2, ContextLength: 32768, TiedEmbeddings: true),
            "Q4_K_M"),
        new("qwen2.5-1.5b", "the shapes of Qwen2.5-1.5B-Instruct: for heavier benchmarks",
            new ModelShape("qwen2", Embedding: 1536, Layers: 28, FeedForward: 8960, Heads: 12, KvHeads: 2, ContextLength: 32768, TiedEmbeddings: true),
            "Q4_K_M"),
    ];

    public static ModelPreset? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
