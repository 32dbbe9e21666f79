namespace LlmGateway.Cli.Report;

/// <summary>What the scorecard holds each figure against. The defaults are the research's "invisible" criteria.</summary>
public sealed record Targets(
    double IdleCpuPercent = 2,
    double ActiveCpuMeanPercent = 35,
    double ActiveCpuP99Percent = 50,
    double RamGigabytes = 6,
    double P95LatencySeconds = 2.5,
    double TailRatio = 2,
    double Correctness = 0.8,
    double? ForegroundSlowdown = null);
