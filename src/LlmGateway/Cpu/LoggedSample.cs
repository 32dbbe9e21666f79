namespace LlmGateway.Cpu;

/// <summary>One CPU sample as the sampler took it: percent of the machine for llama-server, the gateway and the system.</summary>
/// <remarks>A struct: the sampler logs up to ten a second into a ring of five minutes, and allocates none of them.</remarks>
/// <param name="Sequence">Numbers the samples since the gateway started, without gaps: a reader asks for those after the last it saw.</param>
/// <param name="ChildPercent">llama-server's CPU; null while it has no process or its first interval has no baseline.</param>
/// <param name="GatewayPercent">The gateway's own CPU (all its threads).</param>
/// <param name="SystemPercent">The whole machine's CPU; null when /proc/stat could not be read.</param>
/// <param name="ChildRssBytes">llama-server's resident memory as last read (about once a second).</param>
/// <param name="GatewayRssBytes">The gateway's resident memory as last read.</param>
/// <param name="Busy">A request was in flight at the sample, or ended during its interval: the sample is "active", not idle.</param>
/// <param name="Starting">llama-server was not ready (starting or loading its model): its CPU is neither a request's nor idle cost.</param>
public readonly record struct LoggedSample(
    long Sequence, double? ChildPercent, double GatewayPercent, double? SystemPercent, long ChildRssBytes, long GatewayRssBytes, bool Busy, bool Starting);
