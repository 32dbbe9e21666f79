using LlmGateway.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests.Units;

/// <summary>The idle unload on a fake clock: when it fires, what holds it off, and what disarms it.</summary>
/// <remarks>The fake clock runs a timer's callback inside <see cref="FakeTimeProvider.Advance"/>, so an expiry is counted on return.</remarks>
public sealed class KeepAliveTests : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly KeepAlive _keepAlive;
    private int _expired;

    public KeepAliveTests() => _keepAlive = new KeepAlive(Ten, _time, () => Interlocked.Increment(ref _expired));

    public void Dispose() => _keepAlive.Dispose();

    [Fact]
    public void Loaded_AndIdle_ExpiresExactlyAfterTheKeepAlive_Once()
    {
        _keepAlive.Loaded();

        _time.Advance(Ten - Tick);
        Assert.Equal(0, _expired);

        _time.Advance(Tick);
        Assert.Equal(1, _expired);

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, _expired); // once per loaded period
    }

    [Fact]
    public void NeverLoaded_NeverExpires()
    {
        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(0, _expired);
        Assert.Null(_keepAlive.ExpiresAt);
    }

    [Fact]
    public void LoadedAgain_AfterAnExpiry_ExpiresAgain()
    {
        _keepAlive.Loaded();
        _time.Advance(Ten);

        _keepAlive.Loaded();
        _time.Advance(Ten - Tick);
        Assert.Equal(1, _expired);
        _time.Advance(Tick);

        Assert.Equal(2, _expired);
    }

    [Fact]
    public void ARequestInFlight_HoldsIt_HoweverLong()
    {
        _keepAlive.Loaded();
        var request = _keepAlive.Begin();

        _time.Advance(TimeSpan.FromDays(365));

        Assert.Equal(0, _expired);
        Assert.Equal(1, _keepAlive.InFlight);
        request.Dispose();
    }

    [Fact]
    public void TheKeepAlive_RestartsWhenTheRequestEnds()
    {
        _keepAlive.Loaded();
        _time.Advance(Ten - Tick); // all but expired when the request comes
        var request = _keepAlive.Begin();
        _time.Advance(TimeSpan.FromMinutes(5));

        request.Dispose();
        _time.Advance(Ten - Tick);
        Assert.Equal(0, _expired);

        _time.Advance(Tick);
        Assert.Equal(1, _expired);
    }

    [Fact]
    public void OverlappingRequests_TheKeepAliveCountsFromTheLastToEnd()
    {
        _keepAlive.Loaded();
        var first = _keepAlive.Begin();
        var second = _keepAlive.Begin();
        _time.Advance(TimeSpan.FromSeconds(1));
        first.Dispose();
        _time.Advance(TimeSpan.FromSeconds(30)); // the second still runs

        Assert.Equal(0, _expired);
        second.Dispose();
        _time.Advance(Ten - Tick);
        Assert.Equal(0, _expired);
        _time.Advance(Tick);

        Assert.Equal(1, _expired);
    }

    [Fact]
    public void ARequestDisposedTwice_EndsOnce()
    {
        _keepAlive.Loaded();
        var first = _keepAlive.Begin();
        var second = _keepAlive.Begin();

        first.Dispose();
        first.Dispose();

        Assert.Equal(1, _keepAlive.InFlight);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, _expired); // the second holds it still
        second.Dispose();
    }

    [Fact]
    public void Zero_NeverExpires()
    {
        var expired = 0;
        using var keepAlive = new KeepAlive(TimeSpan.Zero, _time, () => expired++);
        keepAlive.Loaded();
        keepAlive.Begin().Dispose();

        _time.Advance(TimeSpan.FromDays(365));

        Assert.False(keepAlive.Expires);
        Assert.Null(keepAlive.ExpiresAt);
        Assert.Equal(0, expired);
    }

    [Fact]
    public void Stopped_Disarms()
    {
        _keepAlive.Loaded();
        _time.Advance(Ten - Tick);

        _keepAlive.Stopped();
        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(0, _expired);
        Assert.Null(_keepAlive.ExpiresAt);
    }

    [Fact]
    public void ARequestEndingAfterStopped_DoesNotArmItAgain()
    {
        _keepAlive.Loaded();
        var request = _keepAlive.Begin();
        _keepAlive.Stopped(); // unloaded by an operator while the request ran

        request.Dispose();
        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(0, _expired);
        Assert.Null(_keepAlive.ExpiresAt);
    }

    [Fact]
    public void ExpiresAt_IsOneKeepAliveAfterTheLastActivity_AndNullWhileBusyOrStopped()
    {
        Assert.Null(_keepAlive.ExpiresAt); // not loaded yet
        var loaded = _time.GetUtcNow();
        _keepAlive.Loaded();
        Assert.Equal(loaded + Ten, _keepAlive.ExpiresAt);

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(loaded + Ten, _keepAlive.ExpiresAt); // idling does not move it

        var request = _keepAlive.Begin();
        Assert.Null(_keepAlive.ExpiresAt);
        _time.Advance(TimeSpan.FromSeconds(4));
        request.Dispose();
        Assert.Equal(_time.GetUtcNow() + Ten, _keepAlive.ExpiresAt);

        _keepAlive.Stopped();
        Assert.Null(_keepAlive.ExpiresAt);
    }
}
