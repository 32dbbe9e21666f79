namespace LlmGateway.Model;

public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

/// <summary>An OpenAI model object, plus what the GGUF says (the extra "meta" is ignored by SDKs).</summary>
public sealed record ModelCard(string Id, long Created, string OwnedBy, ModelMeta Meta)
{
    public string Object => "model";

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
