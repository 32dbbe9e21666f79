using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Report;

/// <summary>The options of llmgw report.</summary>
public sealed class ReportSettings : WorkloadRunSettings
{
    [CommandOption("--url <URL>")]
    [Description("The running gateway. Default: http://127.0.0.1:8080")]
    public string Url { get; init; } = "http://127.0.0.1:8080";

    [CommandOption("--idle-seconds <N>")]
    [Description("Quiet period measured before the workload for idle CPU; 0 skips it. Default: 10")]
    public double IdleSeconds { get; init; } = 10;

    [CommandOption("--settle-seconds <N>")]
    [Description("How long the gateway is left alone after report's first requests to it, before the quiet period: the runtime compiles a newly used path again a second or two later, which is not idle cost. Default: 5")]
    public double SettleSeconds { get; init; } = 5;

    [CommandOption("--foreground")]
    [Description("Run a fixed CPU-bound job alone, then beside the workload, and report its slowdown")]
    public bool Foreground { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("Bearer key, when the gateway requires one. Default: $LLMGW_API_KEY")]
    public string? ApiKey { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("table, markdown, json or csv. Default: table")]
    public OutputFormat Format { get; init; } = OutputFormat.Table;

    [CommandOption("--out <FILE>")]
    [Description("Write the scorecard to FILE instead of the terminal")]
    public string? Out { get; init; }

    [CommandOption("--max-slowdown <X>")]
    [Description("Target for the foreground job's slowdown; none by default")]
    public double? MaxSlowdown { get; init; }

    [CommandOption("--live")]
    [Description("Show the running gateway's own scorecard (GET /admin/scorecard, its section Targets) and redraw it until Ctrl-C; no workload is sent")]
    public bool Live { get; init; }

    [CommandOption("--once")]
    [Description("With --live: print the scorecard once (any --format) and exit 0 (met) or 3 (missed)")]
    public bool Once { get; init; }

    [CommandOption("--window <SECONDS>")]
    [Description("With --live: the window the gateway scores, in seconds. Default: 300 (all it keeps)")]
    public double WindowSeconds { get; init; } = 300;

    [CommandOption("--refresh <SECONDS>")]
    [Description("With --live: seconds between redraws. Default: 2")]
    public double RefreshSeconds { get; init; } = 2;

    public override Targets Targets => base.Targets with { ForegroundSlowdown = MaxSlowdown };

    public override ValidationResult Validate()
    {
        if (Live)
        {
            return !Uri.TryCreate(Url, UriKind.Absolute, out var live) || live.Scheme is not ("http" or "https") ? ValidationResult.Error($"--url '{Url}' is not an http(s) URL")
                : Workload is not null ? ValidationResult.Error("--live shows the running service's scorecard and sends no workload: leave out --workload")
                : WindowSeconds <= 0 ? ValidationResult.Error("--window must be more than 0 seconds")
                : RefreshSeconds <= 0 ? ValidationResult.Error("--refresh must be more than 0 seconds")
                : ValidationResult.Success();
        }

        if (Once)
        {
            return ValidationResult.Error("--once goes with --live");
        }

        if (base.Validate() is { Successful: false } shared)
        {
            return shared;
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return ValidationResult.Error($"--url '{Url}' is not an http(s) URL");
        }

        return IdleSeconds < 0 || SettleSeconds < 0 ? ValidationResult.Error("--idle-seconds and --settle-seconds must be 0 or more") : ValidationResult.Success();
    }
}
