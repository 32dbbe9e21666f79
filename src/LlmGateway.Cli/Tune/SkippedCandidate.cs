namespace LlmGateway.Cli.Tune;

/// <summary>A candidate the search did not run because a measured one rules it out (<see cref="Dominance"/>).</summary>
public sealed record SkippedCandidate(Candidate Candidate, Candidate By, string Reason);
