namespace LlmGateway.Cli.Report;

/// <summary>One sampling interval: llama-server's and the gateway's CPU in percent of the machine, and their RSS at its end.</summary>
public sealed record CpuSample(double Seconds, double ChildPercent, double GatewayPercent, long ChildRssBytes, long GatewayRssBytes);
