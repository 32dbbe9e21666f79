namespace LlmGateway.Cli.Tune;

/// <summary>
/// One candidate's run: the research's comparison columns. Figures are null when not measured (a stopped run has no
/// CPU figures from the report; a remote gateway none at all).
/// </summary>
/// <param name="Requests">Requests that ended before the run ended (all of them unless stopped).</param>
/// <param name="MeetsTargets">Every target met, every request succeeded, the whole workload ran.</param>
/// <param name="Reason">Why it was stopped or failed, or which targets it missed.</param>
public sealed record CandidateResult(
    Candidate Candidate,
    CandidateStatus Status,
    int Requests,
    int FailedRequests,
    double? IdleCpuPercent,
    double? CpuMeanPercent,
    double? CpuP99Percent,
    double? CpuPeakPercent,
    double? RssGiB,
    double? P50Seconds,
    double? P95Seconds,
    double? P99Seconds,
    double? PrefillTokensPerSecond,
    double? DecodeTokensPerSecond,
    bool MeetsTargets,
    bool MissesLatency,
    bool MissesCpu,
    string? Reason,
    double ElapsedSeconds);
