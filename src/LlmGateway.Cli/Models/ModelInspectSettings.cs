using System.ComponentModel;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Models;

/// <summary>The argument of llmgw model inspect.</summary>
public sealed class ModelInspectSettings : CommandSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("The GGUF file to validate and describe")]
    public string File { get; init; } = "";
}
