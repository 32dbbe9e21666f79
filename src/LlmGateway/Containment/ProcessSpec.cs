namespace LlmGateway.Containment;

/// <summary>One process to start, as data: what runs, with which arguments, and where its output goes.</summary>
/// <remarks>
/// The supervisor describes llama-server's start with it; a containment wraps it (the launcher's prefix), and one
/// <see cref="IProcessRunner"/> starts it. So each part can be checked without starting anything.
/// </remarks>
public sealed record ProcessSpec(string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>Called with every line of standard output and standard error.</summary>
    public Action<string>? OnOutputLine { get; init; }

    /// <summary>Keeps a pipe on standard input open and silent for the process's life: llmgw-launch takes its EOF as the gateway's death.</summary>
    public bool HoldStandardInput { get; init; }
}
