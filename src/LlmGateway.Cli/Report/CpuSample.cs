namespace LlmGateway.Cli.Report;

/// <summary>One of the gateway's samples: llama-server's and the gateway's CPU in percent of the machine, their RSS, and whether a request was in flight.</summary>
/// <param name="Sequence">The gateway's number for the sample; consecutive samples are one interval apart.</param>
/// <param name="Seconds">Sequence times the interval: a time axis for plots, not wall-clock time.</param>
public sealed record CpuSample(long Sequence, double Seconds, double ChildPercent, double GatewayPercent, long ChildRssBytes, long GatewayRssBytes, bool Busy);
