namespace Soak;

/// <summary>One look at both processes.</summary>
public sealed record Sample(
    TimeSpan Elapsed,
    long GatewayRssBytes,
    int GatewayThreads,
    int GatewayFds,
    int? ChildPid,
    long ChildRssBytes,
    long? ChildCgroupBytes,
    long Requests);
