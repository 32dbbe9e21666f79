using Microsoft.Extensions.Options;

namespace LlmGateway.Memory;

/// <summary>Rejects memory settings that make no sense, naming the setting and what it accepts.</summary>
public sealed class MemoryOptionsValidator : IValidateOptions<MemoryOptions>
{
    private const string S = MemoryOptions.Section;

    /// <summary>Below this, not even the smallest model and the gateway fit.</summary>
    public const long MinBudgetBytes = 64L << 20;

    public ValidateOptionsResult Validate(string? name, MemoryOptions o)
    {
        List<string> errors = [];
        if (o.BudgetBytes is < MinBudgetBytes)
        {
            errors.Add($"{S}:BudgetBytes must be at least {MinBudgetBytes} (64 MiB), not {o.BudgetBytes}; leave it empty for min(6 GiB, a quarter of RAM).");
        }

        if (o.ReserveBytes < 0 || (o.BudgetBytes is { } budget && o.ReserveBytes >= budget))
        {
            errors.Add($"{S}:ReserveBytes must be 0 or more and below Memory:BudgetBytes ({o.BudgetBytes}), not {o.ReserveBytes}.");
        }

        if (o.PromptCacheMiB is < 0 or > 1 << 20)
        {
            errors.Add($"{S}:PromptCacheMiB must be 0 (off) to 1048576, not {o.PromptCacheMiB}; leave it empty to derive it from Memory:BudgetBytes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
