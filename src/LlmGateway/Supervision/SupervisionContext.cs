using LlmGateway.Containment;
using LlmGateway.Cpu;

namespace LlmGateway.Supervision;

/// <summary>What every model's supervisor shares: one CPU governor and yield policy, one containment, one process runner.</summary>
public sealed record SupervisionContext(
    CpuGovernor Governor,
    YieldController Yield,
    ChildProgress Progress,
    IChildContainment Containment,
    IProcessRunner Runner,
    ISupervisionEvents Events,
    ILoggerFactory Loggers,
    TimeProvider Time);
