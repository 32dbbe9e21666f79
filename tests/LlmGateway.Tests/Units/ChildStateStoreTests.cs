using LlmGateway.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>The one model's state that readers share: waits that end on a change or on the fake clock, compare-and-replace, change signals.</summary>
public sealed class ChildStateStoreTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly LlamaServerEndpoint Endpoint = new("/nowhere/llama.sock", "key", 1);

    private readonly FakeTimeProvider _time = new();
    private readonly ChildStateStore _store = new();

    [Fact]
    public void Initially_Unloaded_WithoutEndpoint()
    {
        Assert.Equal(ChildStatus.Unloaded, _store.State.Status);
        Assert.Null(_store.Endpoint);
    }

    [Fact]
    public async Task WaitAsync_ReturnsAsSoonAsThePredicateHolds_AfterAPublish()
    {
        var wait = _store.WaitAsync(s => s.IsReady, Limit, _time, CancellationToken.None);
        _store.Publish(new ChildState(ChildStatus.Starting));
        Assert.False(wait.IsCompleted); // starting is not what it waits for

        var ready = new ChildState(ChildStatus.Ready, Starts: 1);
        _store.Publish(ready, Endpoint);

        Assert.Same(ready, await wait.WaitAsync(Eventually.Ceiling));
    }

    [Fact]
    public async Task WaitAsync_WhenThePredicateHoldsAlready_ReturnsAtOnce()
    {
        var ready = new ChildState(ChildStatus.Ready);
        _store.Publish(ready, Endpoint);

        var wait = _store.WaitAsync(s => s.IsReady, Limit, _time, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Same(ready, await wait);
    }

    [Fact]
    public async Task WaitAsync_WhenTheFakeClockPassesTheLimit_ReturnsTheLastState()
    {
        var wait = _store.WaitAsync(s => s.IsReady, Limit, _time, CancellationToken.None);
        var starting = new ChildState(ChildStatus.Starting);
        _store.Publish(starting);

        _time.Advance(Limit - TimeSpan.FromMilliseconds(1));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Same(starting, await wait.WaitAsync(Eventually.Ceiling));
    }

    [Fact]
    public async Task WaitAsync_LimitZero_ReturnsTheStateAtOnce()
    {
        var starting = new ChildState(ChildStatus.Starting);
        _store.Publish(starting);

        var wait = _store.WaitAsync(s => s.IsReady, TimeSpan.Zero, _time, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Same(starting, await wait);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        var wait = _store.WaitAsync(s => s.IsReady, Limit, _time, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Eventually.Ceiling));
    }

    [Fact]
    public void Publish_WithoutEndpoint_KeepsTheEndpoint_WithNull_ClearsIt()
    {
        _store.Publish(new ChildState(ChildStatus.Ready), Endpoint);

        _store.Publish(new ChildState(ChildStatus.Ready, Reason: "the model file was replaced"));
        Assert.Same(Endpoint, _store.Endpoint);

        _store.Publish(new ChildState(ChildStatus.Restarting), null);
        Assert.Null(_store.Endpoint);
    }

    [Fact]
    public void Replace_ReplacesOnlyTheExpectedState()
    {
        var ready = new ChildState(ChildStatus.Ready, Starts: 1);
        _store.Publish(ready, Endpoint);
        var amended = ready with { Reason = "note" };

        Assert.True(_store.Replace(ready, amended));
        Assert.Same(amended, _store.State);
        Assert.Same(Endpoint, _store.Endpoint); // the endpoint stays

        Assert.False(_store.Replace(ready, ready with { Reason = "stale" })); // no longer the state
        Assert.False(_store.Replace(new ChildState(ChildStatus.Ready, Starts: 1, Reason: "note"), ready)); // equal is not the same
        Assert.Same(amended, _store.State);
    }

    [Fact]
    public void NextChange_CompletesOnAPublish_AndOnASuccessfulReplaceOnly()
    {
        var first = _store.NextChange;
        Assert.False(first.IsCompleted);

        var ready = new ChildState(ChildStatus.Ready);
        _store.Publish(ready, Endpoint);
        Assert.True(first.IsCompleted);

        var second = _store.NextChange;
        Assert.False(second.IsCompleted);
        Assert.False(_store.Replace(new ChildState(ChildStatus.Failed), ready));
        Assert.False(second.IsCompleted);
        Assert.True(_store.Replace(ready, new ChildState(ChildStatus.Restarting)));
        Assert.True(second.IsCompleted);
    }

    [Fact]
    public void Changed_FiresOnEveryChange_OnThePublishingThread()
    {
        List<ChildStatus> seen = [];
        _store.Changed += () => seen.Add(_store.State.Status); // synchronous: a plain list suffices

        var starting = new ChildState(ChildStatus.Starting);
        _store.Publish(starting);
        _store.Publish(new ChildState(ChildStatus.Ready), Endpoint);
        _store.Replace(starting, new ChildState(ChildStatus.Failed)); // stale: no change, no event
        _store.Replace(_store.State, new ChildState(ChildStatus.Restarting));

        Assert.Equal([ChildStatus.Starting, ChildStatus.Ready, ChildStatus.Restarting], seen);
    }
}
