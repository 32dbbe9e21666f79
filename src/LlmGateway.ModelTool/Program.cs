using System.Globalization;
using LlmGateway.Gguf;
using LlmGateway.ModelTool;

const string Usage = """
    llmgw-model synthesize --vocab FILE --out FILE [--preset NAME] [--seed N] [--quantization TYPE]
                           [--llama-quantize PATH] [--arch qwen2|llama --embedding N --layers N
                            --feed-forward N --heads N --kv-heads N --context N]
        Writes a random-weight model: real shapes, tokenizer and chat template from --vocab.
        Presets: {0}.
        --quantization: F16, F32 or any llama-quantize type (Q8_0, Q4_K_M, ...); default: the preset's.
    llmgw-model inspect FILE
        Validates a GGUF file and describes the model in it.
    """;

try
{
    return args switch
    {
        ["synthesize", .. var rest] => await Synthesize(Options.Parse(rest)),
        ["inspect", var file] => Inspect(file),
        _ => Fail(string.Format(CultureInfo.InvariantCulture, Usage, string.Join(", ", ModelPreset.All.Select(p => p.Name)))),
    };
}
catch (Exception e) when (e is GgufFormatException or ArgumentException or InvalidOperationException or IOException)
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

static int Inspect(string file)
{
    var gguf = GgufReader.Read(file);
    var info = GgufModelInfo.From(gguf);
    Console.WriteLine($"file:          {file}");
    Console.WriteLine($"gguf version:  {gguf.Version}");
    Console.WriteLine($"architecture:  {info.Architecture}");
    Console.WriteLine($"name:          {info.Name}");
    Console.WriteLine($"context:       {info.ContextLength}");
    Console.WriteLine($"embedding:     {info.EmbeddingLength}");
    Console.WriteLine($"layers:        {info.BlockCount}");
    Console.WriteLine($"quantization:  {info.Quantization}");
    Console.WriteLine($"parameters:    {info.ParameterCount:N0}");
    Console.WriteLine($"size:          {info.FileSize:N0} bytes");
    Console.WriteLine($"chat template: {(info.HasChatTemplate ? "yes" : "no")}");
    Console.WriteLine($"synthetic:     {(gguf.TryGetValue(SyntheticModel.SyntheticKey, out var s) && s.Value is true ? "yes (random weights)" : "no")}");
    Console.WriteLine($"metadata keys: {gguf.Metadata.Count}, tensors: {gguf.Tensors.Count}");
    return 0;
}

static async Task<int> Synthesize(Options options)
{
    var preset = options.Get("preset") is { } presetName
        ? ModelPreset.Find(presetName) ?? throw new ArgumentException(
            $"--preset '{presetName}' is unknown; presets: {string.Join(", ", ModelPreset.All.Select(p => p.Name))}.")
        : null;
    var shape = options.Shape(preset?.Shape);
    var quantization = options.Get("quantization") ?? preset?.Quantization ?? "F16";
    var seed = options.GetUInt64("seed") ?? 42;
    var output = Path.GetFullPath(options.Require("out"));
    var vocab = GgufReader.Read(options.Require("vocab"));
    var name = $"synthetic-{preset?.Name ?? "custom"}-{quantization.ToLowerInvariant()} (random weights)";

    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    // Everything is written beside the target and renamed at the end: a reader never sees half a model.
    var staging = $"{output}.{Environment.ProcessId}.tmp";
    var unquantized = $"{output}.{Environment.ProcessId}.f16.tmp";
    try
    {
        var direct = quantization.ToUpperInvariant() is "F16" or "F32";
        var matrixType = quantization.Equals("F32", StringComparison.OrdinalIgnoreCase) ? GgmlType.F32 : GgmlType.F16;
        SyntheticModel.Write(direct ? staging : unquantized, shape, name, seed, vocab, matrixType);
        if (!direct)
        {
            var quantize = options.Require("llama-quantize");
            await new Quantizer(quantize).QuantizeAsync(unquantized, staging, quantization, CancellationToken.None);
        }

        File.Move(staging, output, overwrite: true);
    }
    finally
    {
        File.Delete(staging);
        File.Delete(unquantized);
    }

    Console.Error.WriteLine($"wrote {output} ({new FileInfo(output).Length:N0} bytes)");
    return 0;
}

/// <summary>--name value pairs from the command line.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
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

        return new Options(values);
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
