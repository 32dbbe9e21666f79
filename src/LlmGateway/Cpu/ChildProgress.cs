namespace LlmGateway.Cpu;

/// <summary>When llama-server last did work, as the CPU sampler saw it: its CPU time advancing.</summary>
/// <remarks>
/// A non-streamed answer says nothing until it is complete, and a prefill on a busy machine can take longer than
/// any silence a timeout should allow; the child's CPU time tells work from a hang (a stopped or deadlocked child
/// uses none). Answering the gateway's own polls costs well under the threshold, so they do not count.
/// </remarks>
public sealed class ChildProgress(TimeProvider time)
{
    /// <summary>Less than this share of one core over a sample is not work on a request.</summary>
    public const double ThresholdPercentOfCore = 2;

    private long _last = long.MinValue;

    /// <summary>The timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last sample in which the child worked; null before any.</summary>
    public long? LastWork => Interlocked.Read(ref _last) is var t && t == long.MinValue ? null : t;

    /// <summary>The sampler saw the child use <paramref name="percentOfCore"/> of one core over its last interval.</summary>
    public void Sampled(double percentOfCore)
    {
        if (percentOfCore >= ThresholdPercentOfCore)
        {
            Interlocked.Exchange(ref _last, time.GetTimestamp());
        }
    }
}
