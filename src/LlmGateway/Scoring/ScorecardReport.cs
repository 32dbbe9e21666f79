namespace LlmGateway.Scoring;

/// <summary>GET /admin/scorecard: whether the running service met its targets over the window.</summary>
/// <param name="MeetsTargets">True when every figure with a target and a value met it; null when none could be measured.</param>
/// <param name="Requests">Successful /v1 requests that ended in the window.</param>
/// <param name="ActiveSamples">CPU samples taken while a request was in flight.</param>
/// <param name="IdleSamples">CPU samples taken while none was.</param>
public sealed record ScorecardReport(
    double WindowSeconds, bool? MeetsTargets, int Requests, int ActiveSamples, int IdleSamples, IReadOnlyList<ScorecardLine> Lines);
