using LlmGateway.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>A model's admission on a fake clock: its slots, its bounded queue, the queue's timeout, and the order waiters get in.</summary>
/// <remarks>AdmissionTests (beside Units) checks the same through a real gateway and llama-server: 429 and 503 as clients see them.</remarks>
public sealed class AdmissionQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task UpToTheSlots_EnterAtOnce_TheNextWaits()
    {
        var admission = new Admission(2, new QueueLimits(4, Timeout), _time);

        var first = admission.EnterAsync(CancellationToken.None);
        var second = admission.EnterAsync(CancellationToken.None);
        var third = admission.EnterAsync(CancellationToken.None);

        Assert.NotNull(await AtOnce(first));
        Assert.NotNull(await AtOnce(second));
        Assert.False(third.IsCompleted);
        Assert.Equal(2, admission.InFlight);
        Assert.Equal(1, admission.Waiting);
    }

    [Fact]
    public async Task AFullQueue_RefusesAtOnce()
    {
        var admission = new Admission(1, new QueueLimits(1, Timeout), _time);
        var holder = admission.EnterAsync(CancellationToken.None);
        var waiter = admission.EnterAsync(CancellationToken.None);

        var refused = admission.EnterAsync(CancellationToken.None);

        Assert.Null(await AtOnce(refused));
        Assert.NotNull(await AtOnce(holder));
        Assert.False(waiter.IsCompleted);
        Assert.Equal(1, admission.Waiting); // the refused one did not stay counted
    }

    [Fact]
    public async Task QueueLengthZero_RefusesWhenEverySlotIsBusy()
    {
        var admission = new Admission(1, new QueueLimits(0, Timeout), _time);
        Assert.NotNull(await AtOnce(admission.EnterAsync(CancellationToken.None)));

        var refused = admission.EnterAsync(CancellationToken.None);

        Assert.Null(await AtOnce(refused));
    }

    [Fact]
    public async Task AWaiter_GetsNull_WhenTheFakeClockPassesTheQueueTimeout()
    {
        var admission = new Admission(1, new QueueLimits(2, Timeout), _time);
        Assert.NotNull(await AtOnce(admission.EnterAsync(CancellationToken.None)));
        var waiter = admission.EnterAsync(CancellationToken.None);

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await waiter.WaitAsync(Eventually.Ceiling));
        Assert.Equal(0, admission.Waiting);
        Assert.Equal(1, admission.InFlight); // the holder keeps its slot
    }

    [Fact]
    public async Task ATimedOutWaiter_LeavesTheQueue_SoAnotherMayWait()
    {
        var admission = new Admission(1, new QueueLimits(1, Timeout), _time);
        using var holder = await admission.EnterAsync(CancellationToken.None);
        var waiter = admission.EnterAsync(CancellationToken.None);
        _time.Advance(Timeout);
        Assert.Null(await waiter.WaitAsync(Eventually.Ceiling));

        var next = admission.EnterAsync(CancellationToken.None);

        Assert.False(next.IsCompleted); // queued, not refused
        Assert.Equal(1, admission.Waiting);
    }

    [Fact]
    public async Task AReleasedSlot_AdmitsTheWaiters_InTheOrderTheyCame()
    {
        var admission = new Admission(1, new QueueLimits(3, Timeout), _time);
        var holder = (await admission.EnterAsync(CancellationToken.None))!;
        var b = admission.EnterAsync(CancellationToken.None);
        var c = admission.EnterAsync(CancellationToken.None);
        var d = admission.EnterAsync(CancellationToken.None);

        holder.Dispose();
        var slotB = await b.WaitAsync(Eventually.Ceiling);
        Assert.NotNull(slotB);
        Assert.False(c.IsCompleted);
        Assert.False(d.IsCompleted);

        slotB.Dispose();
        var slotC = await c.WaitAsync(Eventually.Ceiling);
        Assert.NotNull(slotC);
        Assert.False(d.IsCompleted);

        slotC.Dispose();
        using var slotD = await d.WaitAsync(Eventually.Ceiling);
        Assert.NotNull(slotD);
        Assert.Equal(0, admission.Waiting);
        Assert.Equal(1, admission.InFlight);
    }

    [Fact]
    public async Task ASlotDisposedTwice_IsReleasedOnce()
    {
        var admission = new Admission(2, new QueueLimits(1, Timeout), _time);
        var slot = (await admission.EnterAsync(CancellationToken.None))!;

        slot.Dispose();
        slot.Dispose();

        Assert.Equal(0, admission.InFlight);
        Assert.NotNull(await admission.EnterAsync(CancellationToken.None));
        Assert.NotNull(await admission.EnterAsync(CancellationToken.None));
        Assert.False(admission.EnterAsync(CancellationToken.None).IsCompleted); // still two slots, not three
    }

    [Fact]
    public async Task AWaiterCancelledByItsCaller_Throws_AndTheNextReleaseGoesToTheNextWaiter()
    {
        var admission = new Admission(1, new QueueLimits(2, Timeout), _time);
        var holder = (await admission.EnterAsync(CancellationToken.None))!;
        using var cts = new CancellationTokenSource();
        var cancelled = admission.EnterAsync(cts.Token);
        var next = admission.EnterAsync(CancellationToken.None);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Eventually.Ceiling));
        Assert.Equal(1, admission.Waiting);
        holder.Dispose();
        using var slot = await next.WaitAsync(Eventually.Ceiling);
        Assert.NotNull(slot);
        Assert.Equal(1, admission.InFlight);
    }

    /// <summary>The task's result, which must be there on return (no waiting): a slot taken or a refusal given at once.</summary>
    private static Task<Admission.Slot?> AtOnce(Task<Admission.Slot?> entered)
    {
        Assert.True(entered.IsCompletedSuccessfully, "expected an answer at once, without waiting");
        return entered;
    }
}
