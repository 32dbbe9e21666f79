using LlmGateway.Cpu;

namespace LlmGateway.Memory;

/// <summary>GET /admin/memory: the budget, how it was shared out, and what the gateway and llama-server hold now.</summary>
/// <param name="Budget">The plan: budget, model, KV estimate, reserve, prompt cache.</param>
/// <param name="GatewayRssBytes">The gateway's own resident memory.</param>
/// <param name="ChildRssBytes">llama-server's resident memory (0 while it is not running).</param>
/// <param name="ChildPeakRssBytes">Its highest resident memory seen in its current life.</param>
/// <param name="UsedRatio">Gateway and llama-server together, over the budget: at most 1 is the target.</param>
/// <param name="ChildSoftLimitBytes">The cgroup's soft limit on llama-server when one is enforced (v2 memory.high, v1 memory.soft_limit_in_bytes).</param>
/// <param name="ChildHardLimitBytes">The cgroup's hard limit when one is enforced (v2 memory.max, v1 memory.limit_in_bytes): the backstop.</param>
/// <param name="EnforcedBy">How the cgroup limits are enforced, or why they are not.</param>
public sealed record MemoryReport(
    MemoryPlan Budget,
    long GatewayRssBytes,
    long ChildRssBytes,
    long ChildPeakRssBytes,
    double UsedRatio,
    long? ChildSoftLimitBytes,
    long? ChildHardLimitBytes,
    string? EnforcedBy)
{
    public static MemoryReport From(MemoryPlan plan, CpuSampler sampler, CpuGovernor governor)
    {
        var gateway = Environment.WorkingSet;
        var child = sampler.ChildRssBytes;
        var (soft, hard, by) = Limits(governor);
        return new MemoryReport(plan, gateway, child, sampler.PeakRssBytes, (double)(gateway + child) / plan.BudgetBytes, soft, hard, by);
    }

    /// <summary>The cgroup limits on llama-server, only when the CPU backend enforces them.</summary>
    public static (long? Soft, long? Hard, string? By) Limits(CpuGovernor governor)
    {
        var report = governor.Report();
        var part = report.Enforcement.FirstOrDefault(e => e.Part == "memory");
        return part?.By is null ? (null, null, part?.Note) : (report.MemoryHighBytes, report.MemoryMaxBytes, part.By);
    }
}
