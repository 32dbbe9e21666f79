namespace LlmGateway.Supervision;

/// <summary>Watches a ready llama-server: asks /health every interval; no 200 for the timeout means it hangs.</summary>
/// <remarks>
/// A process that exits is noticed by its exit; one that is stopped (SIGSTOP), deadlocked or stuck in the kernel
/// is not, and every request sent to it would wait for the proxy's idle timeout. llama-server answers /health
/// on its HTTP threads, not in a slot, so a busy child still answers at once (measured: under 20 ms while its only
/// slot generates). One request every few seconds, only while ready: an idle gateway stays nearly asleep.
/// Detection takes at most interval + timeout.
/// </remarks>
internal sealed class LivenessProbe(TimeSpan interval, TimeSpan timeout, TimeProvider time)
{
    /// <summary>Returns when the child has not answered /health with 200 for the timeout: how long it has been silent.</summary>
    /// <param name="healthy">One /health request that gives up after the given time; true for a 200.</param>
    /// <param name="onTick">Work that may ride on the probe's wake-ups (the model file check).</param>
    public async Task<TimeSpan> WaitUntilHungAsync(Func<TimeSpan, CancellationToken, Task<bool>> healthy, Action onTick, CancellationToken ct)
    {
        var lastAnswer = time.GetTimestamp();
        while (true)
        {
            await Task.Delay(interval, time, ct);
            onTick();
            if (await healthy(timeout, ct))
            {
                lastAnswer = time.GetTimestamp();
                continue;
            }

            // One failed probe is not enough: the child is declared hung only after the timeout without an answer.
            var silent = time.GetElapsedTime(lastAnswer);
            if (silent >= timeout)
            {
                return silent;
            }
        }
    }
}
