namespace LlmGateway.Cli.Report;

/// <summary>One figure of the scorecard against its target.</summary>
/// <param name="Value">Null when it could not be measured (Note says why).</param>
/// <param name="Target">The target as text ("&lt;= 35"), null for figures reported without one.</param>
/// <param name="Pass">True or false against the target; null without a target or a value.</param>
public sealed record ScoreLine(string Metric, double? Value, string Unit, string? Target, bool? Pass, string? Note = null);
