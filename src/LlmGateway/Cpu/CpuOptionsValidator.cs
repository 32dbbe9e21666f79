using Microsoft.Extensions.Options;

namespace LlmGateway.Cpu;

/// <summary>Rejects CPU settings that cannot be planned, naming the setting and what it accepts.</summary>
public sealed class CpuOptionsValidator : IValidateOptions<CpuOptions>
{
    private const string S = CpuOptions.Section;

    public ValidateOptionsResult Validate(string? name, CpuOptions o)
    {
        List<string> errors = [];
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        var available = CpuTopology.AvailableCpus();
        var cores = available.Count;
        Check(Enum.IsDefined(o.Profile), $"{S}:Profile must be Invisible, Balanced, Fast or Custom, not {o.Profile}.");
        Check(o.Mode is null || Enum.IsDefined(o.Mode.Value), $"{S}:Mode must be None, Cap, Yield or CapAndYield, not {o.Mode}.");
        Check(o.Priority is null || Enum.IsDefined(o.Priority.Value), $"{S}:Priority must be Normal or Idle, not {o.Priority}.");
        Check(Enum.IsDefined(o.Backend), $"{S}:Backend must be Auto, CgroupV2, CgroupV1, Scheduler, WindowsJob, Cpulimit or None, not {o.Backend}.");
        Check(o.BudgetPercent is null or (>= 1 and <= 100), $"{S}:BudgetPercent must be 1 to 100 (percent of the whole machine), not {o.BudgetPercent}.");
        Check(o.Threads is null || (o.Threads >= 1 && o.Threads <= cores), $"{S}:Threads must be 1 to {cores} (this machine's cores), not {o.Threads}.");
        Check(o.ThreadsBatch is null || (o.ThreadsBatch >= 1 && o.ThreadsBatch <= cores), $"{S}:ThreadsBatch must be 1 to {cores} (this machine's cores), not {o.ThreadsBatch}.");
        Check(o.CapPercent is null or (>= 1 and <= 100), $"{S}:CapPercent must be 1 to 100 (percent of the whole machine), not {o.CapPercent}.");
        Check(o.CapPeriodMicroseconds is >= 1000 and <= 1_000_000, $"{S}:CapPeriodMicroseconds must be 1000 to 1000000, not {o.CapPeriodMicroseconds}.");
        Check(o.LatencyBudgetMilliseconds is >= -1 and <= 3_600_000,
            $"{S}:LatencyBudgetMilliseconds must be -1 (strict yield), 0 or a wait up to 3600000, not {o.LatencyBudgetMilliseconds}.");
        Check(o.MemoryHighBytes is null or > 0, $"{S}:MemoryHighBytes must be above 0, not {o.MemoryHighBytes}.");
        Check(o.MemoryMaxBytes is null or > 0, $"{S}:MemoryMaxBytes must be above 0, not {o.MemoryMaxBytes}.");
        Check(o.MemoryHighBytes is null || o.MemoryMaxBytes is null || o.MemoryHighBytes <= o.MemoryMaxBytes,
            $"{S}:MemoryHighBytes ({o.MemoryHighBytes}) must not be above MemoryMaxBytes ({o.MemoryMaxBytes}).");
        Check(!string.IsNullOrWhiteSpace(o.CgroupRoot), $"{S}:CgroupRoot must be a directory, such as /sys/fs/cgroup.");
        if (!string.IsNullOrWhiteSpace(o.Cpus))
        {
            if (!CpuList.TryParse(o.Cpus, out var cpus))
            {
                errors.Add($"{S}:Cpus must be a CPU list such as 0-1,3, not '{o.Cpus}'.");
            }
            else if (cpus.Except(available).ToList() is { Count: > 0 } missing)
            {
                errors.Add($"{S}:Cpus names CPUs this process may not use ({CpuList.Format(missing)}); available: {CpuList.Format(available)}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
