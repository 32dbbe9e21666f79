using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>
/// No progress past Proxy:IdleTimeoutSeconds: a 504 while nothing was sent, an aborted connection once the answer started,
/// and llama-server's connection closed either way, so it stops working for nobody.
/// </summary>
/// <remarks>
/// The gateway's clock is a FakeTimeProvider moved by the test once the request is held at llama-server, so the timeout
/// passes when the test says and at no other time: a loaded machine can neither fire it early nor late.
/// </remarks>
[Collection(InProcessCollection.Name)]
public sealed class UpstreamStallTests(UpstreamStallTests.Gateway gateway) : IClassFixture<UpstreamStallTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway(new() { ["Proxy:IdleTimeoutSeconds"] = "5" }, fakeTime: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoAnswer_PastTheIdleTimeout_Answers504(bool stream)
    {
        var scenario = gateway.Upstream.Add(Replies.Stall());
        var call = SdkCalls.CompleteAsync(gateway.Chat(), scenario.Prompt, stream);
        await scenario.Arrived.WaitAsync(Eventually.Ceiling);
        Assert.False(call.IsCompleted, "answered before any time passed");

        gateway.Time!.Advance(gateway.IdleTimeout);

        var e = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => call);
        SdkCalls.Check(e, 504, "server_error", "upstream_timeout");
        await scenario.Ended.WaitAsync(Eventually.Ceiling);
    }

    [Theory]
    [InlineData(200, Replies.EventStream, true)]
    [InlineData(500, "application/json", false)]
    public async Task HeadersWithoutABody_PastTheIdleTimeout_Answers504(int status, string contentType, bool stream)
    {
        // A stream's headers but no event (a prefill that hangs), or an error whose body never comes. Whether the
        // gateway had read the headers when the time passed or not, nothing reached the client, so it gets a status.
        var scenario = gateway.Upstream.Add(Replies.HeadersThenStall(status, contentType));
        var call = SdkCalls.CompleteAsync(gateway.Chat(), scenario.Prompt, stream);
        await scenario.Arrived.WaitAsync(Eventually.Ceiling);

        gateway.Time!.Advance(gateway.IdleTimeout);

        var e = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => call);
        SdkCalls.Check(e, 504, "server_error", "upstream_timeout");
        await scenario.Ended.WaitAsync(Eventually.Ceiling);
    }

    [Fact]
    public async Task StreamStalls_AfterItStarted_IsAborted()
    {
        var scenario = gateway.Upstream.Add(Replies.FirstEventThenStall());
        await using var updates = gateway.Chat().CompleteChatStreamingAsync([new UserChatMessage(scenario.Prompt)]).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync(), "the stream's first event");

        gateway.Time!.Advance(gateway.IdleTimeout);

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await updates.MoveNextAsync())
            {
            }
        });
        await scenario.Ended.WaitAsync(Eventually.Ceiling);
    }
}
