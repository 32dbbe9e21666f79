namespace LlmGateway.Cli.Report;

/// <summary>What a report run measured, before it is scored.</summary>
/// <param name="IdleSamples">Samples over the quiet period; null when it was skipped.</param>
/// <param name="ActiveSamples">Samples while the workload ran; null when /proc could not be read (a remote gateway).</param>
/// <param name="ForegroundAloneSeconds">The foreground job's median alone; null without --foreground.</param>
/// <param name="ForegroundBesideSeconds">Its runs beside the workload.</param>
public sealed record Measurements(
    IReadOnlyList<RequestResult> Results,
    IReadOnlyList<CpuSample>? IdleSamples,
    IReadOnlyList<CpuSample>? ActiveSamples,
    double? ForegroundAloneSeconds,
    IReadOnlyList<double>? ForegroundBesideSeconds,
    bool SyntheticModel);
