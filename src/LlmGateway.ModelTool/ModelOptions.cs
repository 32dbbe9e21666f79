using System.Globalization;

namespace LlmGateway.ModelTool;

/// <summary>--name value pairs from the command line.</summary>
public sealed class ModelOptions(Dictionary<string, string> values)
{
    public static ModelOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--name value' pairs, found '{args[i]}'.");
            }

            values[args[i][2..]] = args[i + 1];
        }

        return new ModelOptions(values);
    }

    public string? Get(string name) => values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required.");

    public ulong? GetUInt64(string name) => Get(name) is not { } text ? null
        : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new ArgumentException($"--{name} must be a whole number, not '{text}'.");

    public ModelShape Shape(ModelShape? preset)
    {
        int Dim(string name, int? fallback) => (int?)GetUInt64(name) ?? fallback
            ?? throw new ArgumentException($"--{name} is required without a --preset.");

        var shape = new ModelShape(
            Get("arch") ?? preset?.Architecture ?? "qwen2",
            Dim("embedding", preset?.Embedding),
            Dim("layers", preset?.Layers),
            Dim("feed-forward", preset?.FeedForward),
            Dim("heads", preset?.Heads),
            Dim("kv-heads", preset?.KvHeads),
            Dim("context", preset?.ContextLength ?? 4096),
            preset?.TiedEmbeddings ?? true);
        return shape.Problem() is { } problem ? throw new ArgumentException($"Cannot build the model: {problem}.") : shape;
    }
}
