namespace LlmGateway.Tests.InProcess;

/// <summary>The in-process gateway tests run one class after another: never two gateways alive in one process at once.</summary>
/// <remarks>
/// Each gateway's OpenTelemetry MeterProvider listens to every meter named "LlmGateway" in the process, not only to the
/// one its own host created: a second gateway alive at the same time counts into the first's /metrics, and when one host
/// is disposed the metric streams the other exports end with it (seen: a gateway whose /metrics lost its own
/// llmgw_requests_total once another test class finished). Each class gets its own gateway (a class fixture), started when
/// the class begins and disposed when it ends. The whole collection takes seconds.
/// </remarks>
[CollectionDefinition(Name)]
public sealed class InProcessCollection
{
    public const string Name = "In-process gateways";
}
