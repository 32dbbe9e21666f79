namespace LlmGateway.Scoring;

/// <summary>The recent latencies the scorecard judges, kept by whoever times the requests (telemetry).</summary>
public interface IRequestLatencies
{
    /// <summary>Durations of recent successful requests.</summary>
    LatencyWindow Durations { get; }

    /// <summary>Times to first token of recent successful requests.</summary>
    LatencyWindow FirstTokens { get; }
}
