using System.ComponentModel;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Models;

/// <summary>The options of llmgw model synthesize: the same as llmgw-model synthesize's.</summary>
public sealed class ModelSynthesizeSettings : CommandSettings
{
    [CommandOption("--vocab <FILE>")]
    [Description("GGUF file whose tokenizer and chat template the model gets (e.g. llama.cpp's models/ggml-vocab-qwen2.gguf)")]
    public string? Vocab { get; init; }

    [CommandOption("--out <FILE>")]
    [Description("Where to write the model")]
    public string? Out { get; init; }

    [CommandOption("--preset <NAME>")]
    [Description("A model shape: tiny, qwen2.5-0.5b, ...")]
    public string? Preset { get; init; }

    [CommandOption("--seed <N>")]
    public string? Seed { get; init; }

    [CommandOption("--quantization <TYPE>")]
    [Description("F16, F32 or any llama-quantize type (Q8_0, Q4_K_M, ...); default: the preset's")]
    public string? Quantization { get; init; }

    [CommandOption("--llama-quantize <PATH>")]
    public string? LlamaQuantize { get; init; }

    [CommandOption("--arch <ARCH>")]
    public string? Arch { get; init; }

    [CommandOption("--embedding <N>")]
    public string? Embedding { get; init; }

    [CommandOption("--layers <N>")]
    public string? Layers { get; init; }

    [CommandOption("--feed-forward <N>")]
    public string? FeedForward { get; init; }

    [CommandOption("--heads <N>")]
    public string? Heads { get; init; }

    [CommandOption("--kv-heads <N>")]
    public string? KvHeads { get; init; }

    [CommandOption("--context <N>")]
    public string? Context { get; init; }

    /// <summary>The options as llmgw-model's parser holds them, so both tools check and use them the same way.</summary>
    public Dictionary<string, string> Values()
    {
        var all = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["vocab"] = Vocab, ["out"] = Out, ["preset"] = Preset, ["seed"] = Seed, ["quantization"] = Quantization,
            ["llama-quantize"] = LlamaQuantize, ["arch"] = Arch, ["embedding"] = Embedding, ["layers"] = Layers,
            ["feed-forward"] = FeedForward, ["heads"] = Heads, ["kv-heads"] = KvHeads, ["context"] = Context,
        };
        return all.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
    }
}
