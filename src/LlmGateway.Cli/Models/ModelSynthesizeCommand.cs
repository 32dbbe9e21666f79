using LlmGateway.Gguf;
using LlmGateway.ModelTool;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Models;

/// <summary>llmgw model synthesize: llmgw-model synthesize, through the same code.</summary>
public sealed class ModelSynthesizeCommand : AsyncCommand<ModelSynthesizeSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ModelSynthesizeSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return await ModelCommands.SynthesizeAsync(new ModelOptions(settings.Values()));
        }
        catch (Exception e) when (e is GgufFormatException or ArgumentException or InvalidOperationException or IOException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }
    }
}
