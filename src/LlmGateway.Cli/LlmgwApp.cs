using LlmGateway.Cli.Models;
using LlmGateway.Cli.Report;
using LlmGateway.Cli.Serve;
using LlmGateway.Cli.Tune;
using Spectre.Console.Cli;

namespace LlmGateway.Cli;

/// <summary>The llmgw command line: serve, model synthesize|inspect, report, tune.</summary>
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
            config.AddCommand<TuneCommand>("tune")
                .WithDescription("Search the gateway's settings for the lowest p95 latency that meets every target, starting a gateway per candidate")
                .WithExample("tune", "--workload", "bench/workloads/endpoint-security.jsonl", "--model", "a.gguf", "--write", "tuned.env");
        });
        return app;
    }
}
