using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Report;

/// <summary>The options of llmgw report.</summary>
public sealed class ReportSettings : CommandSettings
{
    [CommandOption("--url <URL>")]
    [Description("The running gateway. Default: http://127.0.0.1:8080")]
    public string Url { get; init; } = "http://127.0.0.1:8080";

    [CommandOption("--workload <FILE>")]
    [Description("JSONL workload: one chat request per line (see bench/workloads/README.md)")]
    public string? Workload { get; init; }

    [CommandOption("--arrival <PATTERN>")]
    [Description("sequential, fixed:RATE or poisson:RATE (requests/s); overrides the workload's header")]
    public string? Arrival { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the Poisson arrival times. Default: 1")]
    public int Seed { get; init; } = 1;

    [CommandOption("--idle-seconds <N>")]
    [Description("Quiet period measured before the workload for idle CPU; 0 skips it. Default: 10")]
    public double IdleSeconds { get; init; } = 10;

    [CommandOption("--foreground")]
    [Description("Run a fixed CPU-bound job alone, then beside the workload, and report its slowdown")]
    public bool Foreground { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("Bearer key, when the gateway requires one. Default: $LLMGW_API_KEY")]
    public string? ApiKey { get; init; }

    [CommandOption("--timeout <SECONDS>")]
    [Description("Per-request timeout (no retries). Default: 300")]
    public double TimeoutSeconds { get; init; } = 300;

    [CommandOption("--format <FORMAT>")]
    [Description("table, markdown, json or csv. Default: table")]
    public OutputFormat Format { get; init; } = OutputFormat.Table;

    [CommandOption("--out <FILE>")]
    [Description("Write the scorecard to FILE instead of the terminal")]
    public string? Out { get; init; }

    [CommandOption("--max-idle-cpu <PERCENT>")]
    [Description("Target: idle CPU of gateway + llama-server, percent of the machine. Default: 2")]
    public double MaxIdleCpu { get; init; } = 2;

    [CommandOption("--max-cpu-mean <PERCENT>")]
    [Description("Target: llama-server's mean CPU while active. Default: 35")]
    public double MaxCpuMean { get; init; } = 35;

    [CommandOption("--max-cpu-p99 <PERCENT>")]
    [Description("Target: p99 of llama-server's 100 ms CPU samples while active. Default: 50")]
    public double MaxCpuP99 { get; init; } = 50;

    [CommandOption("--max-ram-gb <GIB>")]
    [Description("Target: llama-server's RSS peak. Default: 6")]
    public double MaxRamGb { get; init; } = 6;

    [CommandOption("--max-p95 <SECONDS>")]
    [Description("Target: p95 latency. Default: 2.5")]
    public double MaxP95 { get; init; } = 2.5;

    [CommandOption("--max-tail-ratio <X>")]
    [Description("Target: p99/p50 latency stays below this. Default: 2")]
    public double MaxTailRatio { get; init; } = 2;

    [CommandOption("--min-correctness <RATIO>")]
    [Description("Target: share of answers meeting \"expected\". Default: 0.8")]
    public double MinCorrectness { get; init; } = 0.8;

    [CommandOption("--max-slowdown <X>")]
    [Description("Target for the foreground job's slowdown; none by default")]
    public double? MaxSlowdown { get; init; }

    public Targets Targets => new(MaxIdleCpu, MaxCpuMean, MaxCpuP99, MaxRamGb, MaxP95, MaxTailRatio, MinCorrectness, MaxSlowdown);

    public override ValidationResult Validate()
    {
        if (string.IsNullOrEmpty(Workload))
        {
            return ValidationResult.Error("--workload FILE is required");
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return ValidationResult.Error($"--url '{Url}' is not an http(s) URL");
        }

        return IdleSeconds < 0 ? ValidationResult.Error("--idle-seconds must be 0 or more")
            : TimeoutSeconds <= 0 ? ValidationResult.Error("--timeout must be more than 0")
            : ValidationResult.Success();
    }
}
