using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>
/// Proxy/Admission.cs with one slot and a queue of one: a full queue refuses at once with 429 and Retry-After, and a
/// client that leaves while queued gives its place back.
/// </summary>
/// <remarks>The slot is held busy by a gated answer at the fake llama-server, released by the test: no timing.</remarks>
[Collection(InProcessCollection.Name)]
public sealed class QueueTests(QueueTests.Gateway gateway) : IClassFixture<QueueTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway(new()
    {
        ["LlamaServer:Parallel"] = "1",
        ["Proxy:QueueLength"] = "1",
        ["Proxy:QueueTimeoutSeconds"] = "3600", // a wait that never ends by itself here: only the test ends it
    });

    [Fact]
    public async Task FullQueue_Answers429WithRetryAfter_AndTheQueuedRequestIsServedAfter()
    {
        var chat = gateway.Chat();
        var busy = gateway.Upstream.Add(Replies.Gated(Replies.Answer("first")));
        var queued = gateway.Upstream.Add(Replies.Answer("second"));
        var first = chat.CompleteChatAsync([new UserChatMessage(busy.Prompt)]);
        await busy.Arrived.WaitAsync(Eventually.Ceiling);
        var second = chat.CompleteChatAsync([new UserChatMessage(queued.Prompt)]);
        await WaitUntilQueuedAsync(1, second, "the second request to wait in the queue");

        var e = await SdkCalls.RefusedAsync(chat, "A third, with the slot busy and the queue full.");

        SdkCalls.Check(e, 429, "rate_limit_exceeded", "queue_full");
        Assert.Equal("1", SdkCalls.RetryAfter(e));
        Assert.Equal(0, queued.Arrivals);

        busy.Release();
        Assert.Equal("first", (await first).Value.Content[0].Text);
        Assert.Equal("second", (await second).Value.Content[0].Text);
        Assert.Equal(0, gateway.Admission.Waiting);
    }

    [Fact]
    public async Task ClientLeavingTheQueue_FreesItsPlace_AndTheNextRequestIsServed()
    {
        var chat = gateway.Chat();
        var busy = gateway.Upstream.Add(Replies.Gated(Replies.Answer("first")));
        var leaving = gateway.Upstream.Add(Replies.Answer("never sent"));
        var next = gateway.Upstream.Add(Replies.Answer("next"));
        var first = chat.CompleteChatAsync([new UserChatMessage(busy.Prompt)]);
        await busy.Arrived.WaitAsync(Eventually.Ceiling);
        using var leave = new CancellationTokenSource();
        var left = chat.CompleteChatAsync([new UserChatMessage(leaving.Prompt)], cancellationToken: leave.Token);
        await WaitUntilQueuedAsync(1, left, "the request that will leave to wait in the queue");

        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        await Eventually.UntilAsync(() => gateway.Admission.Waiting, w => w == 0, "the gateway to give back the queue place of the client that left");

        // With the place still taken this one would get 429 at once; it waits instead, and is served once the slot frees.
        var after = chat.CompleteChatAsync([new UserChatMessage(next.Prompt)]);
        await WaitUntilQueuedAsync(1, after, "the next request to wait in the freed place");
        busy.Release();
        Assert.Equal("first", (await first).Value.Content[0].Text);
        Assert.Equal("next", (await after).Value.Content[0].Text);
        Assert.Equal(0, leaving.Arrivals); // it never reached llama-server
    }

    /// <summary>Waits until <paramref name="waiting"/> requests are queued; fails at once if <paramref name="call"/> was answered instead.</summary>
    private async Task WaitUntilQueuedAsync(int waiting, Task call, string what)
    {
        await Eventually.UntilAsync(() => gateway.Admission.Waiting == waiting || call.IsCompleted, done => done, what);
        if (call.IsCompleted)
        {
            await call; // its exception says what it got instead of a place in the queue
            Assert.Fail($"answered instead of queued: {what}");
        }
    }
}
