namespace LlmGateway.Scoring;

/// <summary>One figure of the live scorecard against its target.</summary>
/// <param name="Figure">A stable key (the Prometheus label): idle_cpu_percent, active_cpu_mean_percent, ...</param>
/// <param name="Value">Null when the window holds nothing to measure it by (Note says why).</param>
/// <param name="Target">The bound; null for figures shown without one.</param>
/// <param name="Comparison">How the value must compare with the target: "&lt;=" or "&lt;".</param>
/// <param name="Met">Against the target; null without a target or a value.</param>
public sealed record ScorecardLine(string Figure, double? Value, string Unit, double? Target, string? Comparison, bool? Met, string? Note = null);
