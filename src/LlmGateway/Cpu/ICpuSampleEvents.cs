namespace LlmGateway.Cpu;

/// <summary>What the CPU sampler tells observers (telemetry) without depending on them.</summary>
public interface ICpuSampleEvents
{
    /// <summary>One sample, as percent of the machine: llama-server's and the whole system's; null when not measured.</summary>
    void CpuSampled(double? childPercent, double? systemPercent);
}
