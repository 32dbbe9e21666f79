using LlmGateway.Gguf;

namespace LlmGateway.ModelTool;

/// <summary>What llmgw-model and llmgw's "model" commands do: one implementation behind both command lines.</summary>
public static class ModelCommands
{
    /// <summary>The presets' names, for usage texts.</summary>
    public static string PresetNames => string.Join(", ", ModelPreset.All.Select(p => p.Name));

    public static int Inspect(string file)
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

    public static async Task<int> SynthesizeAsync(ModelOptions options)
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
}
