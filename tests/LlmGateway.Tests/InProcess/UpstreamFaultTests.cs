using System.Net;
using System.Net.Http.Json;
using LlmGateway.Supervision;
using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>
/// UpstreamForwarder's answers when llama-server cannot be reached or breaks off: a 502 or 503 with Retry-After while
/// nothing was sent yet, and an aborted connection once the answer has started, never a truncated answer that looks whole.
/// </summary>
[Collection(InProcessCollection.Name)]
public sealed class UpstreamFaultTests(UpstreamFaultTests.Gateway gateway) : IClassFixture<UpstreamFaultTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unreachable_Answers502_WithRetryAfter(bool stream)
    {
        // Published as ready on a socket nobody listens on: llama-server died and the supervisor has not noticed yet.
        gateway.Publish(new ChildState(ChildStatus.Ready, Starts: 2),
            new LlamaServerEndpoint(Path.Combine(gateway.WorkDirectory, "nobody-listens.sock"), "dead-key", Generation: 2));
        try
        {
            var e = await SdkCalls.RefusedAsync(gateway.Chat(), "Hello?", stream);

            SdkCalls.Check(e, 502, "server_error", "upstream_unreachable");
            Assert.Equal("2", SdkCalls.RetryAfter(e));
        }
        finally
        {
            gateway.ServeUpstream();
        }
    }

    [Theory]
    [InlineData(ChildStatus.Starting, "2")]
    [InlineData(ChildStatus.Restarting, "2")]
    [InlineData(ChildStatus.Failed, "60")]
    public async Task ChildNotReady_Answers503_WithRetryAfter(ChildStatus status, string retryAfter)
    {
        gateway.Publish(new ChildState(status, "the test published it"), endpoint: null);
        try
        {
            var e = await SdkCalls.RefusedAsync(gateway.Chat(), "Hello?");

            var error = SdkCalls.Check(e, 503, "server_error", "model_not_ready");
            Assert.Equal(retryAfter, SdkCalls.RetryAfter(e));
            if (status == ChildStatus.Failed)
            {
                Assert.Contains("the test published it", error.GetProperty("message").GetString());
            }
        }
        finally
        {
            gateway.ServeUpstream();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UpstreamBreaksBeforeAnyByte_Answers502_WithRetryAfter(bool stream)
    {
        // Headers, then the connection drops (llama-server killed mid-answer). Whether the gateway had read the headers
        // when the drop came or not, nothing reached the client yet, so it can still be told with a status.
        var scenario = gateway.Upstream.Add(Replies.HeadersThenReset(200, stream ? Replies.EventStream : "application/json"));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt, stream);

        SdkCalls.Check(e, 502, "server_error", "upstream_unreachable");
        Assert.Equal("2", SdkCalls.RetryAfter(e));
        Assert.Equal("application/json", e.GetRawResponse()!.Headers.TryGetValue("Content-Type", out var type) ? type!.Split(';')[0] : null);
    }

    [Fact]
    public async Task UpstreamBreaksAfterTheStreamStarted_AbortsTheStream()
    {
        var scenario = gateway.Upstream.Add(Replies.FirstEventThenResetOnRelease());
        await using var updates = gateway.Chat().CompleteChatStreamingAsync([new UserChatMessage(scenario.Prompt)]).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync(), "the stream's first event");

        scenario.Release();

        // Status 200 has been sent: only a broken connection can still tell the client the answer is not whole.
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await updates.MoveNextAsync())
            {
            }
        });
    }

    [Fact]
    public async Task UpstreamBreaksInsideAJsonAnswer_AbortsTheResponse()
    {
        var scenario = gateway.Upstream.Add(Replies.PartOfAnswerThenResetOnRelease());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = FakeLlamaServer.ModelId, messages = new[] { new { role = "user", content = scenario.Prompt } } }),
        };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        Assert.True(await body.ReadAsync(buffer) > 0, "the start of the answer");

        scenario.Release();

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        });
    }

    [Fact]
    public async Task ErrorAnswerBreaksOff_Answers502_WithRetryAfter()
    {
        var scenario = gateway.Upstream.Add(Replies.PartOfErrorThenReset(500));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt);

        SdkCalls.Check(e, 502, "server_error", "upstream_unreachable");
        Assert.Equal("2", SdkCalls.RetryAfter(e));
    }
}
