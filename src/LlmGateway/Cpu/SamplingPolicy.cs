namespace LlmGateway.Cpu;

/// <summary>When the CPU sampler samples next, and how many samples of the base interval one sample stands for.</summary>
/// <remarks>
/// <para>
/// Fast (the base interval, 100 ms) while the gateway is busy: a request in flight, llama-server using CPU in the last
/// sample, or either within the last <see cref="Linger"/>, so a request's tail and the gaps between a client's requests
/// are seen at full resolution. Slow (the idle interval) otherwise: an idle gateway then wakes once a second instead of
/// ten times. A request that starts wakes the sampler at once (<see cref="RequestActivity.StartedSignal"/>),
/// so all the CPU a request causes is sampled fast.
/// </para>
/// <para>
/// A sample taken after a longer sleep is recorded as that many base-interval samples of the same value (its mean over
/// the span), not as one: the windows and the histogram count samples, and with repetition a count of samples is still a
/// span of time (600 samples are a minute, however they were taken), so p95 and p99 over a window keep meaning "the
/// share of that window's time". Weighting each sample by its span would do the same for the windows but needs weighted
/// percentiles, and an OpenTelemetry histogram has no weights. What a slow sample cannot show is a spike inside its span;
/// that is why any CPU use by llama-server switches to fast at once. The whole machine's CPU is sampled at the same
/// times, so while llama-server is idle other programs' spikes are seen as one-second means.
/// </para>
/// </remarks>
public sealed class SamplingPolicy
{
    /// <summary>How long sampling stays fast after the last sign of work.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);

    /// <summary>llama-server's CPU, in percent of the machine, from which it counts as working: an idle one uses none.</summary>
    public const double BusyPercent = 0.5;

    private readonly TimeProvider _time;
    private long _lastBusy;

    public SamplingPolicy(TimeSpan interval, TimeSpan idleInterval, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(idleInterval, interval);
        (Interval, IdleInterval, _time) = (interval, idleInterval, time);
        _lastBusy = time.GetTimestamp(); // fast from the start: llama-server loading its model is work
    }

    public TimeSpan Interval { get; }

    public TimeSpan IdleInterval { get; }

    /// <summary>The wait before the next sample, given what the last one saw.</summary>
    /// <param name="requestsInFlight">Requests being handled now.</param>
    /// <param name="childPercent">llama-server's CPU in the last sample, in percent of the machine; null when there was none.</param>
    public TimeSpan Next(int requestsInFlight, double? childPercent)
    {
        var now = _time.GetTimestamp();
        if (requestsInFlight > 0 || childPercent >= BusyPercent)
        {
            _lastBusy = now;
        }

        return _time.GetElapsedTime(_lastBusy, now) < Linger ? Interval : IdleInterval;
    }

    /// <summary>How many base-interval samples a sample over <paramref name="elapsed"/> stands for: at least one, rounded to the nearest.</summary>
    public int Repeats(TimeSpan elapsed) => Math.Max(1, (int)Math.Round(elapsed / Interval, MidpointRounding.AwayFromZero));
}
