using Microsoft.AspNetCore.Http;

namespace LlmGateway.Tests.InProcess;

/// <summary>How the fake llama-server answers one request: given the request and its scenario (for the scenario's gate).</summary>
public delegate Task FakeReply(HttpContext context, FakeRequest request, FakeScenario scenario);

/// <summary>One way of answering, chosen by its prompt, and what happened to the requests that carried it.</summary>
/// <remarks>Tests wait on these events (the request arrived, its connection ended) instead of on time.</remarks>
public sealed class FakeScenario(string prompt, FakeReply reply)
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrivals;

    /// <summary>The prompt that selects this scenario.</summary>
    public string Prompt => prompt;

    /// <summary>Requests with this prompt that reached llama-server.</summary>
    public int Arrivals => Volatile.Read(ref _arrivals);

    /// <summary>Completes when the first request with this prompt has reached llama-server, body read.</summary>
    public Task Arrived => _arrived.Task;

    /// <summary>Completes when llama-server has finished with that request: answered, or its connection closed by the gateway.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Opens the gate that gated replies wait at.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Waits until <see cref="Release"/>, or until the gateway closes the connection (then throws).</summary>
    public Task WaitUntilReleasedAsync(CancellationToken aborted) => _released.Task.WaitAsync(aborted);

    internal async Task RunAsync(HttpContext context, FakeRequest request)
    {
        Interlocked.Increment(ref _arrivals);
        _arrived.TrySetResult();
        try
        {
            await reply(context, request, this);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The gateway closed the connection while this reply waited: what a client that leaves, or a timeout, causes.
        }
        finally
        {
            _ended.TrySetResult();
        }
    }
}
