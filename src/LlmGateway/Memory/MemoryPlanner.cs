namespace LlmGateway.Memory;

/// <summary>Sizes llama-server's prompt cache from the memory budget: what is left after the model, the KV cache and the reserve.</summary>
/// <remarks>
/// llama-server's own default keeps up to 8 GiB of prompt states in host memory (--cache-ram 8192), and a steady
/// stream of distinct prompts grows its RSS towards that, which alone breaks the invisible target of 6 GB.
/// </remarks>
public static class MemoryPlanner
{
    public const long DefaultBudgetCeiling = 6L << 30;
    private const long MiB = 1 << 20;

    /// <param name="options">The Memory section.</param>
    /// <param name="modelBytes">The model file's size.</param>
    /// <param name="kv">The model's KV shape; null when unknown.</param>
    /// <param name="contextSize">LlamaServer:ContextSize (--ctx-size: all slots' context together).</param>
    /// <param name="parallel">LlamaServer:Parallel (--parallel).</param>
    /// <param name="machineBytes">The memory this process may use (physical RAM, or its container's limit).</param>
    /// <param name="childLimitBytes">A hard memory limit on llama-server (Cpu:MemoryMaxBytes), if any.</param>
    /// <param name="kvCacheType">LlamaServer:KvCacheType as passed to llama-server; null: its default, f16.</param>
    public static MemoryPlan Plan(
        MemoryOptions options, long modelBytes, KvCacheShape? kv, int contextSize, int parallel, long machineBytes, long? childLimitBytes, string? kvCacheType = null)
    {
        var (budget, source) = options.BudgetBytes is { } b
            ? (b, "Memory:BudgetBytes")
            : (Math.Min(DefaultBudgetCeiling, machineBytes / 4), machineBytes / 4 < DefaultBudgetCeiling ? "default: a quarter of RAM" : "default: 6 GiB");
        if (options.BudgetBytes is null && childLimitBytes is { } limit && limit + options.ReserveBytes < budget)
        {
            (budget, source) = (limit + options.ReserveBytes, "default: Cpu:MemoryMaxBytes plus Memory:ReserveBytes");
        }

        var kvBytes = kv is null ? (long?)null : kv.Bytes(KvCells(contextSize, parallel), kvCacheType);
        if (options.PromptCacheMiB is { } fixedMiB)
        {
            return new MemoryPlan(budget, source, modelBytes, kvBytes, options.ReserveBytes, fixedMiB, "Memory:PromptCacheMiB");
        }

        var left = budget - options.ReserveBytes - modelBytes - (kvBytes ?? 0);
        var mib = (int)Math.Clamp(left / MiB, 0, int.MaxValue);
        return new MemoryPlan(budget, source, modelBytes, kvBytes, options.ReserveBytes, mib, "derived");
    }

    /// <summary>KV cells llama-server allocates: --ctx-size split over the slots, each slot's share rounded up to 256.</summary>
    /// <remarks>The pinned build's llama_context (src/llama-context.cpp): n_ctx_seq = GGML_PAD(n_ctx / n_seq_max, 256),
    /// n_ctx = n_ctx_seq * n_seq_max, when the KV cache is not unified (the gateway sets --parallel, which keeps it so).</remarks>
    public static long KvCells(int contextSize, int parallel)
    {
        var perSlot = (contextSize / parallel + 255) / 256 * 256;
        return (long)perSlot * parallel;
    }
}
