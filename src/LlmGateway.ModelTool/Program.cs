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
        ["synthesize", .. var rest] => await ModelCommands.SynthesizeAsync(ModelOptions.Parse(rest)),
        ["inspect", var file] => ModelCommands.Inspect(file),
        _ => Fail(string.Format(CultureInfo.InvariantCulture, Usage, ModelCommands.PresetNames)),
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
