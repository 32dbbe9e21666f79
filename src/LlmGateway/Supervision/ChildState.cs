namespace LlmGateway.Supervision;

public enum ChildStatus
{
    /// <summary>No process: never loaded yet, or unloaded after its keep-alive (or by an operator).</summary>
    Unloaded,
    Starting,
    Ready,
    Restarting,
    Failed,
}

/// <summary>What the supervisor knows about llama-server now; replaced whole, never mutated.</summary>
public sealed record ChildState(
    ChildStatus Status,
    string? Reason = null,
    int? Pid = null,
    int Starts = 0,
    int Crashes = 0,
    IReadOnlyList<string>? LastLines = null)
{
    public bool IsReady => Status == ChildStatus.Ready;

    /// <summary>The state as /v1/models names it: unloaded, loading, ready or failed.</summary>
    public string ModelState => Status switch
    {
        ChildStatus.Ready => "ready",
        ChildStatus.Starting or ChildStatus.Restarting => "loading",
        ChildStatus.Failed => "failed",
        _ => "unloaded",
    };
}
