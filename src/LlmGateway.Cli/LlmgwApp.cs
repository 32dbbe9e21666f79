using LlmGateway.Cli.Models;
using LlmGateway.Cli.Report;
using LlmGateway.Cli.Serve;
using Spectre.Console.Cli;

namespace LlmGateway.Cli;

/// <summary>The llmgw command line: serve, model synthesize|inspect, report.</summary>
public static class LlmgwApp
{
    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("llmgw");
            config.AddCommand<ServeCommand>("serve")
                .WithDescription("Run the gateway (scripts/run.sh, same settings: environment and -- arguments); Ctrl-C stops it");
            config.AddBranch("model", model =>
            {
                model.SetDescription("Write and describe GGUF models (what llmgw-model does)");
                model.AddCommand<ModelSynthesizeCommand>("synthesize").WithDescription("Write a random-weight model with real shapes and tokenizer");
                model.AddCommand<ModelInspectCommand>("inspect").WithDescription("Validate a GGUF file and describe the model in it");
            });
            config.AddCommand<ReportCommand>("report")
                .WithDescription("Replay a workload against a running gateway and score it against the targets")
                .WithExample("report", "--url", "http://127.0.0.1:8080", "--workload", "bench/workloads/endpoint-security.jsonl");
        });
        return app;
    }
}
