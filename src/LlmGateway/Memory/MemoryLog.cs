namespace LlmGateway.Memory;

/// <summary>The memory plan, logged once when it is made.</summary>
public static partial class MemoryLog
{
    public static void Planned(ILogger logger, MemoryPlan p)
    {
        LogPlan(logger, p.BudgetBytes >> 20, p.BudgetSource, p.ModelBytes >> 20, p.KvCacheBytes is { } kv ? (kv >> 20).ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown",
            p.ReserveBytes >> 20, p.PromptCacheMib, p.PromptCacheSource);
        if (p.PromptCacheMib == 0 && p.PromptCacheSource == "derived")
        {
            LogNoRoom(logger, p.BudgetBytes >> 20, (p.ReserveBytes + p.ModelBytes + (p.KvCacheBytes ?? 0)) >> 20);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Memory plan: budget {Budget} MiB ({Source}): model {Model} MiB, KV cache {Kv} MiB, reserve {Reserve} MiB, so llama-server --cache-ram {Cache} MiB ({CacheSource})")]
    private static partial void LogPlan(ILogger logger, long budget, string source, long model, string kv, long reserve, int cache, string cacheSource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The memory budget ({Budget} MiB) leaves no room for llama-server's prompt cache after the reserve, model and KV cache ({Fixed} MiB): it is off (--cache-ram 0); raise Memory:BudgetBytes to keep prompts between requests")]
    private static partial void LogNoRoom(ILogger logger, long budget, long @fixed);
}
