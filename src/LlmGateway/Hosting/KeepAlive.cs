namespace LlmGateway.Hosting;

/// <summary>Unloads a model once it has been idle for its keep-alive: no request in flight, none ended for that long.</summary>
/// <remarks>
/// One timer on <see cref="TimeProvider"/>, armed when the model is loaded and at the end of every request, so an idle
/// model costs no wake-ups until its keep-alive passes. Tested in-process on a fake clock.
/// </remarks>
public sealed class KeepAlive : IDisposable
{
    private readonly TimeSpan _keepAlive;
    private readonly TimeProvider _time;
    private readonly Action _expire;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private int _inFlight;
    private bool _armed;
    private long _lastActivity;

    /// <param name="keepAlive">Idle time before <paramref name="expire"/>; zero never expires.</param>
    /// <param name="expire">Called once per loaded period, on a timer thread, when the model has been idle for the keep-alive.</param>
    public KeepAlive(TimeSpan keepAlive, TimeProvider time, Action expire)
    {
        _keepAlive = keepAlive;
        _time = time;
        _expire = expire;
        _timer = time.CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether it ever expires (a keep-alive of zero keeps the model loaded).</summary>
    public bool Expires => _keepAlive > TimeSpan.Zero;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When it expires if nothing happens meanwhile; null when not armed or while a request is in flight.</summary>
    public DateTimeOffset? ExpiresAt
    {
        get
        {
            lock (_lock)
            {
                return _armed && _inFlight == 0 && Expires
                    ? _time.GetUtcNow() + _keepAlive - _time.GetElapsedTime(_lastActivity)
                    : null;
            }
        }
    }

    /// <summary>The model is loaded: the keep-alive counts from now.</summary>
    public void Loaded()
    {
        lock (_lock)
        {
            _armed = true;
            Touch();
        }
    }

    /// <summary>The model is unloaded (or failed): nothing to expire.</summary>
    public void Stopped()
    {
        lock (_lock)
        {
            _armed = false;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>A request for the model; dispose it when the request ends. The model is not unloaded while one is in flight.</summary>
    public IDisposable Begin()
    {
        lock (_lock)
        {
            _inFlight++;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        return new Request(this);
    }

    public void Dispose() => _timer.Dispose();

    private void End()
    {
        lock (_lock)
        {
            _inFlight--;
            Touch();
        }
    }

    /// <summary>Under the lock: activity now; armed and idle, the timer fires one keep-alive from now.</summary>
    private void Touch()
    {
        _lastActivity = _time.GetTimestamp();
        if (_armed && _inFlight == 0 && Expires)
        {
            _timer.Change(_keepAlive, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            if (!_armed || _inFlight > 0)
            {
                return;
            }

            var left = _keepAlive - _time.GetElapsedTime(_lastActivity);
            if (left > TimeSpan.Zero)
            {
                _timer.Change(left, Timeout.InfiniteTimeSpan); // activity since it was set: wait the rest
                return;
            }

            _armed = false;
        }

        _expire();
    }

    private sealed class Request(KeepAlive owner) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                owner.End();
            }
        }
    }
}
