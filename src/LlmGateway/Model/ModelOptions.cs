namespace LlmGateway.Model;

/// <summary>Section "Model": which GGUF file to serve and under which names.</summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    /// <summary>The GGUF file. Empty: the synthetic demo model prepared by scripts/run.sh (see DemoPath).</summary>
    public string? Path { get; set; }

    /// <summary>Where the demo model is, used when <see cref="Path"/> is empty.</summary>
    public string? DemoPath { get; set; }

    /// <summary>The id clients send as "model". Empty: derived from the GGUF's general.name or file name.</summary>
    public string? Id { get; set; }

    /// <summary>Other names accepted as "model" (for example "gpt-4o-mini", so unmodified clients work).</summary>
    public string[] Aliases { get; set; } = [];
}
