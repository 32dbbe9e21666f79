using Microsoft.Extensions.Options;

namespace LlmGateway.Cpu;

/// <summary>Section "CpuSampler": how often the child's and the system's CPU are sampled, and over what window.</summary>
public sealed class CpuSamplerOptions
{
    public const string Section = "CpuSampler";

    /// <summary>Sampling period. 100 ms is the resolution at which the research saw spikes that averages hide.</summary>
    public int IntervalMilliseconds { get; set; } = 100;

    /// <summary>
    /// Sampling period while the gateway is idle (no request in flight, llama-server using no CPU, for 5 s). Each idle
    /// sample counts as that many samples of <see cref="IntervalMilliseconds"/>, so windows still span the same time.
    /// At or below <see cref="IntervalMilliseconds"/> to always sample fast (a longer busy interval is not refused for it).
    /// </summary>
    public int IdleIntervalMilliseconds { get; set; } = 1000;

    /// <summary>The sliding window the statistics are computed over.</summary>
    public int WindowSeconds { get; set; } = 60;
}

public sealed class CpuSamplerOptionsValidator : IValidateOptions<CpuSamplerOptions>
{
    public ValidateOptionsResult Validate(string? name, CpuSamplerOptions o)
    {
        List<string> errors = [];
        if (o.IntervalMilliseconds is < 10 or > 10_000)
        {
            errors.Add($"{CpuSamplerOptions.Section}:IntervalMilliseconds must be 10 to 10000, not {o.IntervalMilliseconds}.");
        }

        if (o.IdleIntervalMilliseconds is < 10 or > 60_000)
        {
            errors.Add($"{CpuSamplerOptions.Section}:IdleIntervalMilliseconds must be 10 to 60000, not {o.IdleIntervalMilliseconds}.");
        }

        if (o.WindowSeconds is < 1 or > 3600)
        {
            errors.Add($"{CpuSamplerOptions.Section}:WindowSeconds must be 1 to 3600, not {o.WindowSeconds}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
