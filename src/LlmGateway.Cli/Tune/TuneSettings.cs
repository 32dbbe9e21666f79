using System.ComponentModel;
using System.Globalization;
using LlmGateway.Cli.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Tune;

/// <summary>The options of llmgw tune: the workload and targets as for report, the space to search, where results go.</summary>
public sealed class TuneSettings : WorkloadRunSettings
{
    /// <summary>In the lists of the llama-server and backend settings: not set, the gateway's default.</summary>
    private const string Default = "default";

    private static readonly string[] KvCacheTypeNames = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"];

    private static readonly string[] BackendNames = ["Auto", "CgroupV2", "CgroupV1", "Scheduler", "WindowsJob", "Cpulimit", "None"];

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

    [CommandOption("--batch-sizes <LIST>")]
    [Description("LlamaServer:BatchSize values (llama-server's --batch-size); 'default' leaves it unset (2048). Default: default")]
    public string BatchSizes { get; init; } = Default;

    [CommandOption("--micro-batch-sizes <LIST>")]
    [Description("LlamaServer:MicroBatchSize values (--ubatch-size, at most the batch size); 'default' leaves it unset (512). Default: default")]
    public string MicroBatchSizes { get; init; } = Default;

    [CommandOption("--kv-cache-types <LIST>")]
    [Description("LlamaServer:KvCacheType values (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1); 'default' leaves it unset (f16). Default: default")]
    public string KvCacheTypes { get; init; } = Default;

    [CommandOption("--cache-prompt <LIST>")]
    [Description("LlamaServer:CachePrompt values (true, false); 'default' leaves it unset (true). Default: default")]
    public string CachePrompt { get; init; } = Default;

    [CommandOption("--backends <LIST>")]
    [Description("Cpu:Backend values (Auto, CgroupV2, CgroupV1, Scheduler, WindowsJob, Cpulimit, None); 'default' leaves it unset (Auto). Default: default")]
    public string Backends { get; init; } = Default;

    [CommandOption("--set <KEY=VALUE>")]
    [Description("A gateway setting for every candidate, as an environment variable (LlamaServer__ExecutablePath=..., Security__ApiKeys__0=...); repeatable")]
    public string[] Set { get; init; } = [];

    [CommandOption("--grid")]
    [Description("Run every candidate of the space in order (each still stopped early when it breaks a hard target) instead of the walk: the exhaustive baseline")]
    public bool Grid { get; init; }

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
    [Description("How long each candidate's gateway is left alone once ready, before the quiet period: start-up (JIT tiering, the first probes) costs the gateway 1 to 4 % of the machine for its first 10 to 15 s, which is not idle cost. Default: 15")]
    public double SettleSeconds { get; init; } = 15;

    [CommandOption("--start-timeout <SECONDS>")]
    [Description("How long a candidate's gateway may take to become ready. Default: 180")]
    public double StartTimeoutSeconds { get; init; } = 180;

    public SearchSpace Space()
    {
        var cores = Enumerable.Range(1, Environment.ProcessorCount).ToList();
        return new SearchSpace(
            [.. Models.Select(Path.GetFullPath)], Ints(Budgets), Words(Modes), Threads is null ? cores : Ints(Threads),
            ThreadsBatch is null ? cores : Ints(ThreadsBatch), Ints(CapPeriods), Ints(ContextSizes), Ints(Parallel))
        {
            BatchSizes = OptionalInts(BatchSizes),
            MicroBatchSizes = OptionalInts(MicroBatchSizes),
            KvCacheTypes = OptionalWords(KvCacheTypes, KvCacheTypeNames),
            CachePrompt = [.. Words(CachePrompt).Select(w => w.Equals(Default, StringComparison.OrdinalIgnoreCase) ? (bool?)null : bool.Parse(w))],
            Backends = OptionalWords(Backends, BackendNames),
        };
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
            return ValidationResult.Error($"--set '{cpu}': the candidates set the Cpu section; search it with --budgets, --modes, --threads, --threads-batch, --cap-periods, --backends");
        }

        foreach (var (name, list) in new[] { ("--batch-sizes", BatchSizes), ("--micro-batch-sizes", MicroBatchSizes) })
        {
            if (Words(list) is not { Count: > 0 } items
                || items.FirstOrDefault(i => !IsDefault(i) && !(int.TryParse(i, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1 << 20)) is not null)
            {
                return ValidationResult.Error($"{name} must be a comma-separated list of 'default' and whole numbers 1 to 1048576, not '{list}'");
            }
        }

        if (!OptionalInts(BatchSizes).Any(b => OptionalInts(MicroBatchSizes).Any(ub => ub is null || b is null || ub <= b)))
        {
            return ValidationResult.Error($"--micro-batch-sizes: every one of '{MicroBatchSizes}' is above every --batch-sizes value '{BatchSizes}'; a micro-batch is a part of a batch");
        }

        foreach (var (name, list, allowed) in new[]
        {
            ("--kv-cache-types", KvCacheTypes, KvCacheTypeNames), ("--cache-prompt", CachePrompt, new[] { "true", "false" }), ("--backends", Backends, BackendNames),
        })
        {
            if (Words(list).Count == 0)
            {
                return ValidationResult.Error($"{name} must be a comma-separated list of {Default}, {string.Join(", ", allowed)}, not '{list}'");
            }

            if (Words(list).FirstOrDefault(w => !IsDefault(w) && !allowed.Contains(w, StringComparer.OrdinalIgnoreCase)) is { } unknown)
            {
                return ValidationResult.Error($"{name}: '{unknown}' is not one of {Default}, {string.Join(", ", allowed)}");
            }
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

    private static bool IsDefault(string word) => word.Equals(Default, StringComparison.OrdinalIgnoreCase);

    /// <summary>Sizes in which "default" is null (not set), in the user's order but each once.</summary>
    private static IReadOnlyList<int?> OptionalInts(string list) =>
        [.. Words(list).Select(w => IsDefault(w) ? (int?)null : int.Parse(w, CultureInfo.InvariantCulture)).Distinct()];

    /// <summary>Names in which "default" is null, each spelled as the setting spells it.</summary>
    private static IReadOnlyList<string?> OptionalWords(string list, string[] allowed) =>
        [.. Words(list).Select(w => IsDefault(w) ? null : allowed.First(a => a.Equals(w, StringComparison.OrdinalIgnoreCase))).Distinct()];

    private static IReadOnlyList<string> Words(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];
}
