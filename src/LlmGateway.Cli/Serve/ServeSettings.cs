using System.ComponentModel;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Serve;

/// <summary>The options of llmgw serve; anything after "--" goes to the gateway (e.g. -- --Cpu:Profile=Balanced).</summary>
public sealed class ServeSettings : CommandSettings
{
    [CommandOption("--repo <DIR>")]
    [Description("The LlmGateway checkout whose scripts/run.sh to run. Default: $LLMGW_ROOT, else the checkout llmgw was built in, else the one around the current directory")]
    public string? Repo { get; init; }
}
