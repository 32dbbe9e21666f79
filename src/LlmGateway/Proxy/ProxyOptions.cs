using Microsoft.Extensions.Options;

namespace LlmGateway.Proxy;

/// <summary>Section "Proxy": limits on what clients may send and how long they wait.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Longest time llama-server may make no progress on a request (no bytes, and its CPU time not advancing) before
    /// 504, or an aborted stream once the answer started.
    /// </summary>
    public double IdleTimeoutSeconds { get; set; } = 120;

    /// <summary>Requests allowed to wait for a free slot; one more gets 429.</summary>
    public int QueueLength { get; set; } = 32;

    /// <summary>How long a request may wait for a slot before it gets 429.</summary>
    public double QueueTimeoutSeconds { get; set; } = 60;
}

public sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions o)
    {
        const string S = ProxyOptions.Section;
        List<string> errors = [];
        if (o.MaxRequestBodyBytes is < 1024 or > 1L << 30)
        {
            errors.Add($"{S}:MaxRequestBodyBytes must be 1024 to 1073741824, not {o.MaxRequestBodyBytes}.");
        }

        if (o.IdleTimeoutSeconds is <= 0 or > 86_400)
        {
            errors.Add($"{S}:IdleTimeoutSeconds must be above 0 and at most 86400, not {o.IdleTimeoutSeconds}.");
        }

        if (o.QueueLength is < 0 or > 100_000)
        {
            errors.Add($"{S}:QueueLength must be 0 to 100000, not {o.QueueLength}.");
        }

        if (o.QueueTimeoutSeconds is <= 0 or > 86_400)
        {
            errors.Add($"{S}:QueueTimeoutSeconds must be above 0 and at most 86400, not {o.QueueTimeoutSeconds}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
