namespace LlmGateway.Scoring;

/// <summary>Section "Targets": what the live scorecard holds the running service against. The defaults are the research's "invisible" criteria.</summary>
public sealed class TargetsOptions
{
    public const string Section = "Targets";

    /// <summary>Mean CPU of the gateway and llama-server together while no request is in flight, percent of the machine.</summary>
    public double IdleCpuPercent { get; set; } = 2;

    /// <summary>Mean of llama-server's 100 ms CPU samples while requests are in flight, percent of the machine.</summary>
    public double ActiveCpuMeanPercent { get; set; } = 35;

    /// <summary>p99 of those samples.</summary>
    public double ActiveCpuP99Percent { get; set; } = 50;

    /// <summary>llama-server's highest resident memory in the window, GiB.</summary>
    public double RamGigabytes { get; set; } = 6;

    /// <summary>p95 of the duration of successful /v1 requests, seconds.</summary>
    public double P95LatencySeconds { get; set; } = 2.5;

    /// <summary>p99 over p50 of that duration: under this.</summary>
    public double TailRatio { get; set; } = 2;
}
