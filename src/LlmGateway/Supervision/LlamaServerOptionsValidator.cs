using Microsoft.Extensions.Options;

namespace LlmGateway.Supervision;

/// <summary>Rejects settings that would only fail later, naming the setting and what it accepts.</summary>
public sealed class LlamaServerOptionsValidator : IValidateOptions<LlamaServerOptions>
{
    private const string S = LlamaServerOptions.Section;

    /// <summary>llama-server's flags that a setting of this section passes: set twice, which one wins would be llama-server's parsing order.</summary>
    private static readonly (string Arg, string Setting)[] ManagedBySettings =
    [
        ("-b", "BatchSize"), ("--batch-size", "BatchSize"), ("-ub", "MicroBatchSize"), ("--ubatch-size", "MicroBatchSize"),
        ("-ctk", "KvCacheType"), ("--cache-type-k", "KvCacheType"), ("-ctv", "KvCacheType"), ("--cache-type-v", "KvCacheType"),
        ("--cache-prompt", "CachePrompt"), ("--no-cache-prompt", "CachePrompt"),
    ];

    public ValidateOptionsResult Validate(string? name, LlamaServerOptions o)
    {
        List<string> errors = [];
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(o.ContextSize is >= 64 and <= 1 << 20, $"{S}:ContextSize must be 64 to 1048576, not {o.ContextSize}.");
        Check(o.Parallel is >= 1 and <= 256, $"{S}:Parallel must be 1 to 256, not {o.Parallel}.");
        var fewest = LlamaServerTransport.DefaultHttpThreads(o.Parallel);
        Check(o.HttpThreads == 0 || o.HttpThreads >= fewest && o.HttpThreads <= 1024,
            $"{S}:HttpThreads must be 0 (automatic: Parallel + 6 = {fewest}) or {fewest} to 1024, not {o.HttpThreads}: " +
            "llama-server needs a fixed HTTP thread for every connection the gateway may hold.");
        Check(o.StartTimeoutSeconds is > 0 and <= 3600, $"{S}:StartTimeoutSeconds must be above 0 and at most 3600, not {o.StartTimeoutSeconds}.");
        Check(o.StopTimeoutSeconds is > 0 and <= 600, $"{S}:StopTimeoutSeconds must be above 0 and at most 600, not {o.StopTimeoutSeconds}.");
        Check(o.MaxCrashes >= 1, $"{S}:MaxCrashes must be at least 1, not {o.MaxCrashes}.");
        Check(o.CrashWindowSeconds > 0, $"{S}:CrashWindowSeconds must be above 0, not {o.CrashWindowSeconds}.");
        Check(o.RestartDelaySeconds >= 0 && o.RestartDelaySeconds <= o.MaxRestartDelaySeconds,
            $"{S}:RestartDelaySeconds must be 0 to MaxRestartDelaySeconds ({o.MaxRestartDelaySeconds}), not {o.RestartDelaySeconds}.");
        Check(o.OutputLinesKept is >= 1 and <= 10_000, $"{S}:OutputLinesKept must be 1 to 10000, not {o.OutputLinesKept}.");
        Check(o.LivenessIntervalSeconds is >= 0 and <= 3600, $"{S}:LivenessIntervalSeconds must be 0 (off) to 3600, not {o.LivenessIntervalSeconds}.");
        Check(o.LivenessTimeoutSeconds is >= 0.1 and <= 3600, $"{S}:LivenessTimeoutSeconds must be 0.1 to 3600, not {o.LivenessTimeoutSeconds}.");
        Check(o.ModelWatchIntervalSeconds is >= 0.1 and <= 3600, $"{S}:ModelWatchIntervalSeconds must be 0.1 to 3600, not {o.ModelWatchIntervalSeconds}.");
        Check(string.IsNullOrEmpty(o.ExecutablePath) || File.Exists(o.ExecutablePath),
            $"{S}:ExecutablePath '{o.ExecutablePath}' does not exist; leave it empty to use the pinned build.");
        var reserved = new[] { "--host", "--port", "--api-key", "--api-key-file", "-m", "--model", "-t", "--threads", "-tb", "--threads-batch", "--threads-http", "-cram", "--cache-ram" };
        foreach (var arg in o.ExtraArguments.Where(a => reserved.Contains(a)))
        {
            errors.Add($"{S}:ExtraArguments must not set {arg}: the gateway owns it (threads: Cpu:Threads, Cpu:ThreadsBatch; HTTP threads: {S}:HttpThreads; --cache-ram: Memory:BudgetBytes, Memory:PromptCacheMiB).");
        }

        Check(o.BatchSize is null or >= 1 and <= 1 << 20, $"{S}:BatchSize must be 1 to 1048576, not {o.BatchSize}; leave it empty for llama-server's default, 2048.");
        Check(o.MicroBatchSize is null or >= 1 and <= 1 << 20, $"{S}:MicroBatchSize must be 1 to 1048576, not {o.MicroBatchSize}; leave it empty for llama-server's default, 512.");
        Check(o.MicroBatchSize is null || o.BatchSize is null || o.MicroBatchSize <= o.BatchSize,
            $"{S}:MicroBatchSize ({o.MicroBatchSize}) must not be above {S}:BatchSize ({o.BatchSize}): a micro-batch is a part of a batch.");
        Check(o.KvCacheType is null || LlamaServerCommand.KvCacheType(o) is not null,
            $"{S}:KvCacheType must be one of {string.Join(", ", LlamaServerOptions.KvCacheTypes)}, not '{o.KvCacheType}'; leave it empty for llama-server's default, f16.");
        Check(!LlamaServerCommand.QuantisedKvCache(o) || !FlashAttentionOff(o.ExtraArguments),
            $"{S}:KvCacheType {o.KvCacheType} is quantised, and llama.cpp needs flash attention for a quantised V cache, which {S}:ExtraArguments turns off; " +
            "remove the flash attention argument (llama-server turns it on by itself) or use f16, bf16 or f32.");
        foreach (var (arg, setting) in ManagedBySettings.Where(m => o.ExtraArguments.Contains(m.Arg)))
        {
            errors.Add($"{S}:ExtraArguments must not set {arg}: use {S}:{setting}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>-fa / --flash-attn followed by a value llama-server reads as off (common/arg.cpp's is_falsey).</summary>
    private static bool FlashAttentionOff(string[] args)
    {
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] is "-fa" or "--flash-attn" && args[i + 1] is "off" or "disabled" or "false" or "0")
            {
                return true;
            }
        }

        return false;
    }
}
