using System.ComponentModel;
using System.Globalization;
using LlmGateway.Cli.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Tune;

/// <summary>The options of llmgw tune: the workload and targets as for report, the space to search, where results go.</summary>
public sealed class TuneSettings : WorkloadRunSettings
{

    [CommandOption("--model <FILE>")]
    [Description("A GGUF model file; repeat to search across several (e.g. two quantisations)")]
    public string[] Models { get; init; } = [];

    [CommandOption("--gateway <DLL>")]
    [Description("The gateway to start per candidate. Default: $LLMGW_GATEWAY_DLL, else src/LlmGateway/bin/Release/net10.0/LlmGateway.dll of the checkout llmgw was built in")]
    public string? Gateway { get; init; }

    [CommandOption("--budgets <LIST>")]
    [Description("Cpu:BudgetPercent values, comma-separated. Default: 25,35,50,100")]
    public string Budgets { get; init; } = "25,35,50,100";

    [CommandOption("--modes <LIST>")]
    [Description("Cpu:Mode values (Cap, Yield, CapAndYield, None). Default: Cap,CapAndYield")]
    public string Modes { get; init; } = "Cap,CapAndYield";

    [CommandOption("--threads <LIST>")]
    [Description("Cpu:Threads values. Default: 1 to the machine's cores")]
    public string? Threads { get; init; }

    [CommandOption("--threads-batch <LIST>")]
    [Description("Cpu:ThreadsBatch values. Default: 1 to the machine's cores")]
    public string? ThreadsBatch { get; init; }

    [CommandOption("--cap-periods <LIST>")]
    [Description("Cpu:CapPeriodMicroseconds values. Default: 100000")]
    public string CapPeriods { get; init; } = "100000";

    [CommandOption("--context-sizes <LIST>")]
    [Description("LlamaServer:ContextSize values. Default: 4096")]
    public string ContextSizes { get; init; } = "4096";

    [CommandOption("--parallel <LIST>")]
    [Description("LlamaServer:Parallel values. Default: 1,2")]
    public string Parallel { get; init; } = "1,2";

    [CommandOption("--set <KEY=VALUE>")]
    [Description("A gateway setting for every candidate, as an environment variable (LlamaServer__ExecutablePath=..., Security__ApiKeys__0=...); repeatable")]
    public string[] Set { get; init; } = [];

    [CommandOption("--max-runs <N>")]
    [Description("Stop the search after N candidate runs")]
    public int? MaxRuns { get; init; }

    [CommandOption("--results <FILE>")]
    [Description("JSONL results, one line per measured candidate; an interrupted search resumes from it. The plot (FILE.pareto.png) and the tables as Markdown (FILE.md) go beside it. Default: tune-results.jsonl")]
    public string Results { get; init; } = "tune-results.jsonl";

    [CommandOption("--write <FILE>")]
    [Description("Write the winner as gateway settings: FILE.json appsettings-style JSON, any other name environment lines (Section__Key=value)")]
    public string? Write { get; init; }

    [CommandOption("--idle-seconds <N>")]
    [Description("Quiet period measured per candidate for idle CPU; 0 skips it. Default: 5")]
    public double IdleSeconds { get; init; } = 5;

    [CommandOption("--settle-seconds <N>")]
    [Description("How long each candidate's gateway is left alone once ready, before the quiet period: start-up is not idle cost. Default: 5")]
    public double SettleSeconds { get; init; } = 5;

    [CommandOption("--start-timeout <SECONDS>")]
    [Description("How long a candidate's gateway may take to become ready. Default: 180")]
    public double StartTimeoutSeconds { get; init; } = 180;

    public SearchSpace Space()
    {
        var cores = Enumerable.Range(1, Environment.ProcessorCount).ToList();
        return new SearchSpace(
            [.. Models.Select(Path.GetFullPath)], Ints(Budgets), Words(Modes), Threads is null ? cores : Ints(Threads),
            ThreadsBatch is null ? cores : Ints(ThreadsBatch), Ints(CapPeriods), Ints(ContextSizes), Ints(Parallel));
    }

    public override ValidationResult Validate()
    {
        if (base.Validate() is { Successful: false } shared)
        {
            return shared;
        }

        if (Models.Length == 0)
        {
            return ValidationResult.Error("--model FILE is required (repeat it to search across several)");
        }

        if (Set.FirstOrDefault(s => s.IndexOf('=', StringComparison.Ordinal) < 1) is { } noValue)
        {
            return ValidationResult.Error($"--set '{noValue}' is not KEY=VALUE");
        }

        if (Set.FirstOrDefault(s => s.StartsWith("Cpu__", StringComparison.Ordinal)) is { } cpu)
        {
            return ValidationResult.Error($"--set '{cpu}': the candidates set the Cpu section; search it with --budgets, --modes, --threads, --threads-batch, --cap-periods");
        }

        foreach (var (name, list) in new[] { ("--budgets", Budgets), ("--cap-periods", CapPeriods), ("--context-sizes", ContextSizes), ("--parallel", Parallel), ("--threads", Threads ?? "1"), ("--threads-batch", ThreadsBatch ?? "1") })
        {
            if (list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is not { Length: > 0 } items
                || items.Any(i => !int.TryParse(i, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0))
            {
                return ValidationResult.Error($"{name} must be a comma-separated list of positive whole numbers, not '{list}'");
            }
        }

        return Words(Modes).FirstOrDefault(m => m is not ("Cap" or "Yield" or "CapAndYield" or "None")) is { } bad
            ? ValidationResult.Error($"--modes: '{bad}' is not Cap, Yield, CapAndYield or None")
            : MaxRuns is <= 0 ? ValidationResult.Error("--max-runs must be at least 1")
            : SettleSeconds < 0 || IdleSeconds < 0 ? ValidationResult.Error("--settle-seconds and --idle-seconds must be 0 or more")
            : ValidationResult.Success();
    }

    public IReadOnlyList<KeyValuePair<string, string>> Fixed =>
        [.. Set.Select(s => new KeyValuePair<string, string>(s[..s.IndexOf('=', StringComparison.Ordinal)], s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..]))];

    private static IReadOnlyList<int> Ints(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(i => int.Parse(i, CultureInfo.InvariantCulture)).Distinct().Order()];

    private static IReadOnlyList<string> Words(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];
}
