namespace LlmGateway.Model;

public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

/// <summary>An OpenAI model object, plus its state and what the GGUF says (SDKs ignore the extra members).</summary>
public sealed record ModelCard(string Id, long Created, string OwnedBy, ModelMeta Meta)
{
    public string Object => "model";

    /// <summary>unloaded, loading, ready or failed.</summary>
    public string? State { get; init; }

    /// <summary>How long its last load took to answer /health, in seconds; null before its first.</summary>
    public double? LoadSeconds { get; init; }

    /// <summary>Its keep-alive in seconds (0: kept loaded).</summary>
    public double? KeepAliveSeconds { get; init; }

    /// <summary>Its CPU weight when models compete (100 by default).</summary>
    public int? CpuWeight { get; init; }

    /// <summary>When it unloads if no request comes first; null while it is not loaded, is busy, or is kept loaded.</summary>
    public DateTimeOffset? UnloadsAt { get; init; }

    public static ModelCard From(ServedModel model, string id) => new(
        id,
        model.Created.ToUnixTimeSeconds(),
        "llmgateway",
        new ModelMeta(
            model.Info.Architecture,
            model.Info.Quantization,
            model.Info.ContextLength,
            model.Info.ParameterCount,
            model.Info.FileSize,
            model.IsSynthetic,
            model.IsSynthetic ? "Synthetic model: random weights, so its answers are gibberish; CPU and latency are those of the real shapes." : null));
}

public sealed record ModelMeta(
    string Architecture,
    string Quantization,
    ulong? ContextLength,
    ulong Parameters,
    long SizeBytes,
    bool Synthetic,
    string? Note);
