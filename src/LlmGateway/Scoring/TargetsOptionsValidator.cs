using Microsoft.Extensions.Options;

namespace LlmGateway.Scoring;

public sealed class TargetsOptionsValidator : IValidateOptions<TargetsOptions>
{
    public ValidateOptionsResult Validate(string? name, TargetsOptions o)
    {
        List<string> errors = [];
        Percent(nameof(o.IdleCpuPercent), o.IdleCpuPercent);
        Percent(nameof(o.ActiveCpuMeanPercent), o.ActiveCpuMeanPercent);
        Percent(nameof(o.ActiveCpuP99Percent), o.ActiveCpuP99Percent);
        Positive(nameof(o.RamGigabytes), o.RamGigabytes);
        Positive(nameof(o.P95LatencySeconds), o.P95LatencySeconds);
        if (!(o.TailRatio > 1))
        {
            errors.Add($"{TargetsOptions.Section}:{nameof(o.TailRatio)} must be more than 1 (p99 is never below p50), not {o.TailRatio}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Percent(string key, double value)
        {
            if (!(value is > 0 and <= 100))
            {
                errors.Add($"{TargetsOptions.Section}:{key} must be more than 0 and at most 100 (percent of the machine), not {value}.");
            }
        }

        void Positive(string key, double value)
        {
            if (!(value > 0) || double.IsInfinity(value))
            {
                errors.Add($"{TargetsOptions.Section}:{key} must be a positive number, not {value}.");
            }
        }
    }
}
