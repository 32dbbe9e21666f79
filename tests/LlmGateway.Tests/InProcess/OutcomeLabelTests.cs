using LlmGateway.Supervision;
using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>Each value of llmgw_requests_total's outcome label (Telemetry/GatewayMetrics.Outcome) is produced and seen in /metrics.</summary>
/// <remarks>
/// One slot and no queue (a second request is refused at once), a 2 KiB body limit, an API key, and a fake clock for the
/// idle timeout. Each case checks that its own label went up by exactly one; the cases run one after another.
/// </remarks>
[Collection(InProcessCollection.Name)]
public sealed class OutcomeLabelTests(OutcomeLabelTests.Gateway gateway) : IClassFixture<OutcomeLabelTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway(new()
    {
        ["Security:ApiKeys:0"] = ApiKey,
        ["Proxy:MaxRequestBodyBytes"] = "2048",
        ["Proxy:QueueLength"] = "0",
        ["Proxy:IdleTimeoutSeconds"] = "5",
        ["LlamaServer:Parallel"] = "1",
    }, fakeTime: true);

    [Theory]
    [InlineData("ok", "answered")]
    [InlineData("invalid_request", "max_tokens above a slot's context")]
    [InlineData("not_found", "unknown model")]
    [InlineData("unauthorized", "wrong key")]
    [InlineData("too_large", "body above Proxy:MaxRequestBodyBytes")]
    [InlineData("rejected", "slot busy and no queue")]
    [InlineData("unavailable", "llama-server restarting")]
    [InlineData("timeout", "no progress past Proxy:IdleTimeoutSeconds")]
    [InlineData("upstream_error", "llama-server answered 500")]
    [InlineData("upstream_error", "stream broke after it started")]
    [InlineData("cancelled", "client left while llama-server worked")]
    public async Task Outcome_IsCountedUnderItsLabel(string outcome, string cause)
    {
        var before = (await gateway.ScrapeAsync()).Requests(outcome);

        await ProduceAsync(cause);

        var after = await gateway.ScrapeUntilAsync(m => m.Requests(outcome) > before, $"/metrics to count outcome=\"{outcome}\" after: {cause}");
        Assert.Equal(before + 1, after.Requests(outcome));
    }

    private async Task ProduceAsync(string cause)
    {
        // With no queue, a request that finds the slot still held by the previous case's would be refused.
        await Eventually.UntilAsync(() => gateway.Admission.InFlight, n => n == 0, "the previous case's request to leave its slot");
        var chat = gateway.Chat();
        switch (cause)
        {
            case "answered":
                await SdkCalls.CompleteAsync(chat, "Hello?");
                break;
            case "max_tokens above a slot's context":
                var tooMany = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() =>
                    chat.CompleteChatAsync([new UserChatMessage("Hello?")], new ChatCompletionOptions { MaxOutputTokenCount = 1_000_000 }));
                SdkCalls.Check(tooMany, 400, "invalid_request_error", "invalid_value", "max_completion_tokens");
                break;
            case "unknown model":
                SdkCalls.Check(await SdkCalls.RefusedAsync(gateway.Chat(model: "no-such-model"), "Hello?"), 404, "invalid_request_error", "model_not_found", "model");
                break;
            case "wrong key":
                SdkCalls.Check(await SdkCalls.RefusedAsync(gateway.Chat(key: "not-the-key"), "Hello?"), 401, "invalid_request_error", "invalid_api_key");
                break;
            case "body above Proxy:MaxRequestBodyBytes":
                SdkCalls.Check(await SdkCalls.RefusedAsync(chat, new string('x', 4096)), 413, "invalid_request_error", "request_too_large");
                break;
            case "slot busy and no queue":
                var busy = gateway.Upstream.Add(Replies.Gated(Replies.Answer()));
                var first = SdkCalls.CompleteAsync(chat, busy.Prompt);
                await busy.Arrived.WaitAsync(Eventually.Ceiling);
                SdkCalls.Check(await SdkCalls.RefusedAsync(chat, "Hello?"), 429, "rate_limit_exceeded", "queue_full");
                busy.Release();
                await first;
                break;
            case "llama-server restarting":
                gateway.Publish(new ChildState(ChildStatus.Restarting, "the test published it"), endpoint: null);
                try
                {
                    SdkCalls.Check(await SdkCalls.RefusedAsync(chat, "Hello?"), 503, "server_error", "model_not_ready");
                }
                finally
                {
                    gateway.ServeUpstream();
                }

                break;
            case "no progress past Proxy:IdleTimeoutSeconds":
                var stalled = gateway.Upstream.Add(Replies.Stall());
                var waiting = SdkCalls.CompleteAsync(chat, stalled.Prompt);
                await stalled.Arrived.WaitAsync(Eventually.Ceiling);
                gateway.Time!.Advance(gateway.IdleTimeout);
                SdkCalls.Check(await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => waiting), 504, "server_error", "upstream_timeout");
                break;
            case "llama-server answered 500":
                var failing = gateway.Upstream.Add(Replies.LlamaError(500, "llama_decode failed", "server_error"));
                SdkCalls.Check(await SdkCalls.RefusedAsync(chat, failing.Prompt), 500, "server_error", null);
                break;
            case "stream broke after it started":
                var breaking = gateway.Upstream.Add(Replies.FirstEventThenResetOnRelease());
                await using (var updates = chat.CompleteChatStreamingAsync([new UserChatMessage(breaking.Prompt)]).GetAsyncEnumerator())
                {
                    Assert.True(await updates.MoveNextAsync(), "the stream's first event");
                    breaking.Release();
                    await Assert.ThrowsAnyAsync<IOException>(async () =>
                    {
                        while (await updates.MoveNextAsync())
                        {
                        }
                    });
                }

                break;
            case "client left while llama-server worked":
                var working = gateway.Upstream.Add(Replies.Stall());
                using (var leave = new CancellationTokenSource())
                {
                    var leaving = SdkCalls.CompleteAsync(chat, working.Prompt, ct: leave.Token);
                    await working.Arrived.WaitAsync(Eventually.Ceiling);
                    await leave.CancelAsync();
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
                }

                // The gateway closed llama-server's connection too: llama-server stops generating for nobody.
                await working.Ended.WaitAsync(Eventually.Ceiling);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(cause), cause, "no such case");
        }
    }
}
