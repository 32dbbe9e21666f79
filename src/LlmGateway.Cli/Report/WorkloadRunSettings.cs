using System.ComponentModel;
using LlmGateway.Cli.Workloads;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Report;

/// <summary>What report and tune share: the workload, how it arrives, and the targets it is scored against.</summary>
public abstract class WorkloadRunSettings : CommandSettings
{
    [CommandOption("--workload <FILE>")]
    [Description("JSONL workload: one chat request per line (see bench/workloads/README.md)")]
    public string? Workload { get; init; }

    [CommandOption("--arrival <PATTERN>")]
    [Description("sequential, fixed:RATE or poisson:RATE (requests/s); overrides the workload's header")]
    public string? Arrival { get; init; }

    [CommandOption("--limit <N>")]
    [Description("Replay only the workload's first N requests (a shorter run of the same mix)")]
    public int? Limit { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the Poisson arrival times. Default: 1")]
    public int Seed { get; init; } = 1;

    [CommandOption("--timeout <SECONDS>")]
    [Description("Per-request timeout (no retries). Default: 300")]
    public double TimeoutSeconds { get; init; } = 300;

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
    [Description("Target: p95 latency (tune: also the early stop's bound). Default: 2.5")]
    public double MaxP95 { get; init; } = 2.5;

    [CommandOption("--max-tail-ratio <X>")]
    [Description("Target: p99/p50 latency stays below this. Default: 2")]
    public double MaxTailRatio { get; init; } = 2;

    [CommandOption("--min-correctness <RATIO>")]
    [Description("Target: share of answers meeting \"expected\". Default: 0.8")]
    public double MinCorrectness { get; init; } = 0.8;

    public virtual Targets Targets => new(MaxIdleCpu, MaxCpuMean, MaxCpuP99, MaxRamGb, MaxP95, MaxTailRatio, MinCorrectness);

    /// <summary>The workload and its arrival (--arrival over the file's header).</summary>
    /// <exception cref="WorkloadFormatException">The file, a line of it, or --arrival is wrong; the message says which.</exception>
    public (Workload Workload, ArrivalPattern Arrival) ReadWorkload()
    {
        var workload = WorkloadReader.Read(Workload!);
        if (Limit is { } limit && limit < workload.Requests.Count)
        {
            workload = workload with { Requests = [.. workload.Requests.Take(limit)] };
        }

        var arrival = Arrival is null ? workload.Arrival
            : ArrivalPattern.TryParse(Arrival, out var problem) ?? throw new WorkloadFormatException($"--arrival: {problem}");
        return (workload, arrival);
    }

    public override ValidationResult Validate() =>
        string.IsNullOrEmpty(Workload) ? ValidationResult.Error("--workload FILE is required")
        : TimeoutSeconds <= 0 ? ValidationResult.Error("--timeout must be more than 0")
        : Limit is <= 0 ? ValidationResult.Error("--limit must be at least 1")
        : ValidationResult.Success();
}
