namespace LlmGateway.Memory;

/// <summary>Section "Memory": how much RAM the gateway and llama-server may hold together, and so how large the child's caches are.</summary>
public sealed class MemoryOptions
{
    public const string Section = "Memory";

    /// <summary>RAM for the gateway and llama-server together, in bytes. Empty: 6 GiB (the invisible target) or a quarter of the machine, whichever is smaller.</summary>
    public long? BudgetBytes { get; set; }

    /// <summary>What the budget keeps back from llama-server's caches: the gateway's own memory, llama-server's compute buffers and code.</summary>
    public long ReserveBytes { get; set; } = 512L << 20;

    /// <summary>Expert: llama-server's host prompt cache (--cache-ram) in MiB, instead of what is left of the budget. 0 turns it off.</summary>
    public int? PromptCacheMiB { get; set; }
}
