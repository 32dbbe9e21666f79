namespace LlmGateway.Cpu;

/// <summary>What the <see cref="YieldController"/> needs of the CPU governance: the plan, and the switch.</summary>
public interface IChildPriority
{
    CpuPlan Plan { get; }

    /// <summary>Idle or normal priority for the running child, within the cap. Null when done, else why not.</summary>
    string? SetIdle(bool idle);
}
