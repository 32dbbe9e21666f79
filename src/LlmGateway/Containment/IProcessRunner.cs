namespace LlmGateway.Containment;

/// <summary>Starts processes from their <see cref="ProcessSpec"/>: the one seam between the supervisor and the operating system.</summary>
public interface IProcessRunner
{
    /// <summary>Starts <paramref name="spec"/>; <paramref name="graceful"/> asks it to stop (SIGINT), <paramref name="forceful"/> kills it.</summary>
    RunningProcess Start(ProcessSpec spec, CancellationToken forceful, CancellationToken graceful);
}

/// <summary>A started process: its ID, and its exit (cancelled when it was stopped through the tokens).</summary>
public sealed record RunningProcess(int ProcessId, Task<ProcessExit> Exit);

/// <summary>How a process ended.</summary>
public sealed record ProcessExit(int ExitCode, TimeSpan RunTime);
