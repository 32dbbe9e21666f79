using LlmGateway.Cpu;

namespace LlmGateway.Supervision;

/// <summary>Whether a loading llama-server still shows signs of life: a line of output, a change of its /health status, or CPU time spent.</summary>
/// <remarks>
/// A start on a busy machine that waits for CPU but gets some is slow, not failed: the start fails only after
/// LlamaServer:StartTimeoutSeconds without any sign, however long loading takes in all.
/// </remarks>
internal sealed class StartProgress(TimeSpan limit, TimeProvider time, ChildProgress child)
{
    private long _last = time.GetTimestamp();
    private int _lastStatus;

    /// <summary>LlamaServer:StartTimeoutSeconds: how long loading may go without a sign of life.</summary>
    public TimeSpan Limit => limit;

    /// <summary>How long since the last sign of life.</summary>
    public TimeSpan Idle => time.GetElapsedTime(Math.Max(Interlocked.Read(ref _last), child.LastWork ?? long.MinValue));

    /// <summary>No sign of life for longer than the limit: the start has failed.</summary>
    public bool Stalled => Idle > limit;

    /// <summary>A sign of life now (the child wrote a line).</summary>
    public void Mark() => Interlocked.Exchange(ref _last, time.GetTimestamp());

    /// <summary>/health answered <paramref name="status"/> (0: not listening); a change is a sign of life, the same answer again is not.</summary>
    public void HealthAnswered(int status)
    {
        if (status != _lastStatus)
        {
            _lastStatus = status;
            Mark();
        }
    }
}
