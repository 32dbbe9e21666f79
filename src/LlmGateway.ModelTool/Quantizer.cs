using System.Text;
using CliWrap;

namespace LlmGateway.ModelTool;

/// <summary>Runs llama.cpp's llama-quantize, the same quantizer real models are made with.</summary>
public sealed class Quantizer(string llamaQuantizePath)
{
    public async Task QuantizeAsync(string input, string output, string type, CancellationToken cancellationToken)
    {
        var log = new StringBuilder();
        var result = await Cli.Wrap(llamaQuantizePath)
            .WithArguments([input, output, type, Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(log))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(log))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(cancellationToken);

        if (result.ExitCode != 0)
        {
            var tail = string.Join('\n', log.ToString().Split('\n').TakeLast(15));
            throw new InvalidOperationException($"llama-quantize {type} failed with exit code {result.ExitCode}:\n{tail}");
        }
    }
}
