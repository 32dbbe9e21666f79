namespace LlmGateway.Memory;

/// <summary>How the memory budget is shared out: the model's file, the KV cache, the reserve, and what is left for the prompt cache.</summary>
/// <param name="BudgetBytes">The whole budget, gateway and llama-server.</param>
/// <param name="BudgetSource">Where the budget came from, for /admin/memory and the start-up log.</param>
/// <param name="ModelBytes">The GGUF file, mapped and read in full once the model is used.</param>
/// <param name="KvCacheBytes">The estimated KV cache (null: the model file does not say enough to estimate it).</param>
/// <param name="ReserveBytes">Kept back for the gateway and llama-server's compute buffers and code.</param>
/// <param name="PromptCacheMib">llama-server's --cache-ram.</param>
/// <param name="PromptCacheSource">"derived" or the setting that fixed it.</param>
public sealed record MemoryPlan(
    long BudgetBytes,
    string BudgetSource,
    long ModelBytes,
    long? KvCacheBytes,
    long ReserveBytes,
    int PromptCacheMib,
    string PromptCacheSource)
{
    /// <summary>What llama-server is sized to hold at most: its share of the budget.</summary>
    public long ChildBudgetBytes => BudgetBytes - ReserveBytes;

    /// <summary>Arguments for llama-server's command line.</summary>
    public IEnumerable<string> ToArguments() => ["--cache-ram", PromptCacheMib.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
