using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>A fake clock that also tells when a timer of a given due time has been created, so a test moves the clock only once the code under test waits on it.</summary>
/// <remarks>
/// Code that awaits <c>Task.Delay(d, time)</c> on another thread creates its timer some moments after the state a test
/// can observe; the clock moved before that would leave the timer due <c>d</c> after the moved time. Waiting for the
/// timer's creation makes the next <see cref="FakeTimeProvider.Advance"/> count from the instant the code began to wait.
/// </remarks>
internal sealed class TimerWatch : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _created = [];
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TaskCompletionSource next;
        lock (_lock)
        {
            _created.Add(dueTime);
            next = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        next.TrySetResult();
        return timer;
    }

    /// <summary>How many timers due <paramref name="due"/> after their creation have been created so far.</summary>
    public int Created(TimeSpan due)
    {
        lock (_lock)
        {
            return _created.Count(d => d == due);
        }
    }

    /// <summary>Waits until the <paramref name="count"/>th timer due <paramref name="due"/> has been created.</summary>
    public async Task UntilCreatedAsync(TimeSpan due, int count, string what)
    {
        using var ceiling = new CancellationTokenSource(Eventually.Ceiling);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_created.Count(d => d == due) >= count)
                {
                    return;
                }

                next = _next.Task;
            }

            try
            {
                await next.WaitAsync(ceiling.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Still waiting after {Eventually.Ceiling.TotalSeconds:0} s for {what} (timer {count} due {due.TotalSeconds} s); created: {Created(due)}");
            }
        }
    }
}
