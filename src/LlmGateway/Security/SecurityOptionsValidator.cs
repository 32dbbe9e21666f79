using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>Refuses protection settings that could not protect anything: a key demanded where no key exists.</summary>
public sealed class SecurityOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions o)
    {
        List<string> errors = [];
        if (o.ProtectAdmin == true && o.ApiKeys.Length == 0)
        {
            errors.Add("Security:ProtectAdmin=true needs Security:ApiKeys: /admin would refuse everyone.");
        }

        if (o.MetricsRequireKey && o.ApiKeys.Length == 0 && o.MetricsKeys.Length == 0)
        {
            errors.Add("Security:MetricsRequireKey=true needs Security:ApiKeys or Security:MetricsKeys: /metrics would refuse everyone.");
        }

        if (o.MetricsKeys.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Security:MetricsKeys must not contain empty keys.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
