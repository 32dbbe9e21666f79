using LlmGateway.Cpu;
using LlmGateway.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Tests;

/// <summary>The forwarder's timeout counts llama-server's work, not only its bytes: on a fake clock.</summary>
public sealed class ProgressTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void NoBytesAndNoWork_CancelsAfterTheTimeout()
    {
        using var timeout = new ProgressTimeout(Timeout, new ChildProgress(_time), _time, CancellationToken.None);

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(timeout.Token.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(timeout.Token.IsCancellationRequested);
    }

    [Fact]
    public void ChildWorking_KeepsASilentRequestAlive_ThenTheTimeoutRunsFromItsLastWork()
    {
        var progress = new ChildProgress(_time);
        using var timeout = new ProgressTimeout(Timeout, progress, _time, CancellationToken.None);

        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            progress.Sampled(percentOfCore: 35);
        }

        Assert.False(timeout.Token.IsCancellationRequested); // 30 s without a byte, working all along
        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(timeout.Token.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(timeout.Token.IsCancellationRequested);
    }

    [Fact]
    public void ChildBarelyBusy_AnsweringPolls_IsNotProgress()
    {
        var progress = new ChildProgress(_time);
        using var timeout = new ProgressTimeout(Timeout, progress, _time, CancellationToken.None);

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            progress.Sampled(percentOfCore: 0.6);
        }

        Assert.True(timeout.Token.IsCancellationRequested);
    }

    [Fact]
    public void BytesMoving_RestartTheTimeout()
    {
        using var timeout = new ProgressTimeout(Timeout, new ChildProgress(_time), _time, CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(9));
            timeout.Activity();
        }

        Assert.False(timeout.Token.IsCancellationRequested);
        _time.Advance(Timeout);
        Assert.True(timeout.Token.IsCancellationRequested);
    }

    [Fact]
    public void ClientLeaves_CancelsAtOnce()
    {
        using var client = new CancellationTokenSource();
        using var timeout = new ProgressTimeout(Timeout, new ChildProgress(_time), _time, client.Token);

        client.Cancel();

        Assert.True(timeout.Token.IsCancellationRequested);
    }
}
