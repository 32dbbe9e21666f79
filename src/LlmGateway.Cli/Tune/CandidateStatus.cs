namespace LlmGateway.Cli.Tune;

/// <summary>How a candidate's run ended.</summary>
public enum CandidateStatus
{
    /// <summary>The whole workload ran and was scored.</summary>
    Measured,

    /// <summary>Stopped as soon as it broke a hard target (<see cref="HardTargetWatch"/>); its figures cover what ran.</summary>
    Stopped,

    /// <summary>The gateway did not start or become ready with these settings.</summary>
    Failed,
}
