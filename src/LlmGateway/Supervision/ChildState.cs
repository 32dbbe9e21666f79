namespace LlmGateway.Supervision;

public enum ChildStatus
{
    Starting,
    Ready,
    Restarting,
    Failed,
    Stopped,
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
}
