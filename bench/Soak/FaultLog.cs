namespace Soak;

/// <summary>When llama-server was killed and when it was serving again: failures in these windows are the injected fault's.</summary>
public sealed class FaultLog
{
    private readonly Lock _lock = new();
    private readonly List<(DateTimeOffset From, DateTimeOffset? To)> _windows = [];

    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset? To)> Windows
    {
        get
        {
            lock (_lock)
            {
                return [.. _windows];
            }
        }
    }

    public int Open(DateTimeOffset at)
    {
        lock (_lock)
        {
            _windows.Add((at, null));
            return _windows.Count - 1;
        }
    }

    public void Close(int index, DateTimeOffset at)
    {
        lock (_lock)
        {
            _windows[index] = (_windows[index].From, at);
        }
    }

    /// <summary>True when a request that ran from <paramref name="start"/> to <paramref name="end"/> overlapped a fault window.</summary>
    public bool Explains(DateTimeOffset start, DateTimeOffset end)
    {
        lock (_lock)
        {
            return _windows.Any(w => start <= (w.To ?? DateTimeOffset.MaxValue) && end >= w.From);
        }
    }
}
