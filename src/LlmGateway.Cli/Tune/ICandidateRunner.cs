namespace LlmGateway.Cli.Tune;

/// <summary>Runs one candidate and measures it: the real gateway (<see cref="GatewayCandidateRunner"/>) or, in tests, a table.</summary>
public interface ICandidateRunner
{
    /// <summary>The planner's own plan for <paramref name="model"/> on this machine: the gateway's defaults, where the search starts.</summary>
    Task<Candidate> PlanAsync(string model, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the workload against <paramref name="candidate"/>, feeding each finished request to <paramref name="watch"/>
    /// and stopping as soon as it says a hard target is broken.
    /// </summary>
    Task<CandidateResult> RunAsync(Candidate candidate, HardTargetWatch watch, CancellationToken cancellationToken);
}
