namespace LlmGateway.Cpu;

/// <summary>The llama-server children running now, one per loaded model: what the CPU sampler and the governor look at.</summary>
public interface IChildProcesses
{
    /// <summary>A snapshot: every child with a process, loading or ready.</summary>
    IReadOnlyList<RunningChild> Running { get; }
}

/// <summary>One child process and whether it serves yet.</summary>
public readonly record struct RunningChild(int Pid, bool Ready);
