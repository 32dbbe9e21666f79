using LlmGateway.Gguf;
using LlmGateway.ModelTool;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Models;

/// <summary>llmgw model inspect: llmgw-model inspect, through the same code.</summary>
public sealed class ModelInspectCommand : Command<ModelInspectSettings>
{
    public override int Execute(CommandContext context, ModelInspectSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return ModelCommands.Inspect(settings.File);
        }
        catch (Exception e) when (e is GgufFormatException or ArgumentException or InvalidOperationException or IOException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }
    }
}
