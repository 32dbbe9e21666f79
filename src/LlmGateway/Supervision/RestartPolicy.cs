namespace LlmGateway.Supervision;

/// <summary>What follows a crash of llama-server: a restart after a growing delay, or none once crashes come too often.</summary>
/// <remarks>
/// Crashes are counted within a sliding window (LlamaServer:CrashWindowSeconds): older ones are forgotten, so a
/// child that crashes now and then is restarted for ever, while LlamaServer:MaxCrashes within the window is a crash
/// loop that restarting will not fix. The delay starts at LlamaServer:RestartDelaySeconds and doubles per recent
/// crash up to LlamaServer:MaxRestartDelaySeconds. Pure: time comes from the <see cref="TimeProvider"/>.
/// </remarks>
internal sealed class RestartPolicy(LlamaServerOptions options, TimeProvider time)
{
    private readonly List<DateTimeOffset> _crashes = [];

    /// <summary>Crashes within the window, as of the last one recorded.</summary>
    public int RecentCrashes => _crashes.Count;

    /// <summary>How long to wait before the next start, from the crashes recorded so far.</summary>
    public TimeSpan NextDelay => TimeSpan.FromSeconds(Math.Min(
        options.MaxRestartDelaySeconds, options.RestartDelaySeconds * Math.Pow(2, Math.Max(0, _crashes.Count - 1))));

    /// <summary>Records a crash now, forgets those older than the window, and says whether to restart.</summary>
    public CrashVerdict Crashed()
    {
        var now = time.GetUtcNow();
        _crashes.Add(now);
        _crashes.RemoveAll(t => now - t > TimeSpan.FromSeconds(options.CrashWindowSeconds));
        return _crashes.Count >= options.MaxCrashes ? CrashVerdict.CrashLoop : CrashVerdict.Restart;
    }

    /// <summary>Forgets every crash: what caused the loop (the model file) was fixed, so counting starts again.</summary>
    public void Reset() => _crashes.Clear();
}

internal enum CrashVerdict
{
    /// <summary>Start again after <see cref="RestartPolicy.NextDelay"/>.</summary>
    Restart,

    /// <summary>LlamaServer:MaxCrashes within the window: restarts stop until something changes.</summary>
    CrashLoop,
}
