namespace LlmGateway.Cli.Tune;

/// <summary>What a search found: every candidate's result (resumed ones too), what it skipped, the front and the winner.</summary>
/// <param name="NewRuns">Candidates run in this session (resumed results are not runs).</param>
/// <param name="GridSize">How many candidates an exhaustive grid of the same space runs.</param>
/// <param name="Interrupted">Cancelled (Ctrl-C): the results are what was measured until then.</param>
public sealed record TuneOutcome(
    Candidate Plan,
    IReadOnlyList<CandidateResult> Results,
    IReadOnlyList<SkippedCandidate> Skipped,
    CandidateResult? Winner,
    IReadOnlyList<CandidateResult> ParetoFront,
    int NewRuns,
    int GridSize,
    bool Interrupted);
