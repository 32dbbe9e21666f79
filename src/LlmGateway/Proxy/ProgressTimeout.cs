using LlmGateway.Cpu;

namespace LlmGateway.Proxy;

/// <summary>An activity timeout that counts llama-server's own work as activity, not only the bytes it sends.</summary>
/// <remarks>
/// YARP's activity timeout restarts after every read and write; here the child's CPU progress
/// (<see cref="ChildProgress"/>) restarts it too, so a non-streamed answer whose prefill is slow is not cut
/// while llama-server works on it, and a child that does nothing (stopped, hung) is cut after the timeout.
/// One timer per request that wakes at the earliest moment the timeout could expire; the per-chunk path
/// only stores a timestamp.
/// </remarks>
public sealed class ProgressTimeout : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly ChildProgress _progress;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _cts;
    private readonly ITimer _timer;
    private long _lastActivity;

    public ProgressTimeout(TimeSpan timeout, ChildProgress progress, TimeProvider time, CancellationToken linked)
    {
        _timeout = timeout;
        _progress = progress;
        _time = time;
        _lastActivity = time.GetTimestamp();
        _cts = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _timer = time.CreateTimer(_ => Check(), null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when neither bytes nor the child's work were seen for the timeout, or when the linked token is.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Bytes moved: the timeout starts again.</summary>
    public void Activity() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public void Dispose()
    {
        _timer.Dispose();
        _cts.Dispose();
    }

    private void Check()
    {
        var last = Math.Max(Volatile.Read(ref _lastActivity), _progress.LastWork ?? long.MinValue);
        var quiet = _time.GetElapsedTime(last);
        if (quiet >= _timeout)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request ended as the timer fired.
            }

            return;
        }

        try
        {
            _timer.Change(_timeout - quiet, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
