namespace LlmGateway.Model;

/// <summary>One model of section "Models" (<c>Models:N:*</c>); what it leaves empty comes from sections LlamaServer and Models.</summary>
public sealed class ModelEntry
{
    /// <summary>Where it sits in the configuration ("Models:0"), for error messages.</summary>
    public string Key { get; set; } = "";

    /// <summary>The id clients send as "model". Empty: from the GGUF's general.name, else its file name.</summary>
    public string? Id { get; set; }

    /// <summary>The GGUF file.</summary>
    public string? Path { get; set; }

    /// <summary>Other names accepted as "model".</summary>
    public string[] Aliases { get; set; } = [];

    /// <summary>llama-server's --ctx-size for this model. Empty: LlamaServer:ContextSize.</summary>
    public int? ContextSize { get; set; }

    /// <summary>llama-server's --parallel for this model. Empty: LlamaServer:Parallel.</summary>
    public int? Parallel { get; set; }

    /// <summary>Arguments for this model's llama-server, after LlamaServer:ExtraArguments.</summary>
    public string[] ExtraArguments { get; set; } = [];

    /// <summary>Its share of the CPU budget when models compete, 1 to 10000 (100 for all by default): its group's cgroup weight.</summary>
    public int? CpuWeight { get; set; }

    /// <summary>Idle this long, the model's child stops. Empty: Models:KeepAliveSeconds. 0 keeps it loaded.</summary>
    public double? KeepAliveSeconds { get; set; }

    /// <summary>Load at start-up instead of at the first request. Empty: true when the gateway serves one model only.</summary>
    public bool? Preload { get; set; }

    /// <summary>A system prompt sent once after each load, so llama-server's prompt cache holds it before the first client asks.</summary>
    public string? WarmupSystemPrompt { get; set; }
}
