using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>One llama-server slot: how the gateway queues, and when it refuses with 429.</summary>
[Collection(ApiGateways.Name)]
public sealed class AdmissionTests(ApiGateways gateways)
{
    // A new one per call: the SDK writes the messages and model into the options it is given.
    private static ChatCompletionOptions OneToken => new() { MaxOutputTokenCount = 1 };

    [Fact]
    public async Task OneSlot_EightConcurrentClients_AllComplete()
    {
        const int Tokens = 16;
        var clients = Enumerable.Range(0, 8).Select(_ => gateways.Chat(gateways.Main)).ToList();

        // Half stream, half do not: both kinds wait in the same queue. Retries are off, so a refusal fails the test.
        var answered = await Task.WhenAll(clients.Select((chat, i) => i % 2 == 0 ? CompleteAsync(chat) : StreamAsync(chat)));

        Assert.All(answered, tokens => Assert.Equal(Tokens, tokens));

        static async Task<int> CompleteAsync(ChatClient chat)
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Count to ten.")], ApiGateways.ExactLength(Tokens));
            return completion.Usage.OutputTokenCount;
        }

        static async Task<int> StreamAsync(ChatClient chat)
        {
            var tokens = 0;
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Count to ten.")], ApiGateways.ExactLength(Tokens)))
            {
                tokens = update.Usage?.OutputTokenCount ?? tokens;
            }

            return tokens;
        }
    }

    [Fact]
    public async Task NoQueue_SecondRequestWhileOneGenerates_Is429WithRetryAfter()
    {
        await using var running = await HoldTheSlotAsync(gateways.NoQueue);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateways.Chat(gateways.NoQueue).CompleteChatAsync([new UserChatMessage("hi")], OneToken));

        Assert.Equal(429, e.Status);
        AssertRetryAfter(e);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "queue_full");
        // Refused while the slot was still taken, so it did not wait for it: a request that queued (Proxy:QueueLength
        // ignored) would have been served once the long answer ended, and not been refused at all.
        running.EnsureRunning();
        Assert.Equal(0, running.Answers);
        await UntilAdmittedAsync(gateways.NoQueue, running);
    }

    [Fact]
    public async Task QueueTimeout_RequestQueuedBehindALongOne_Is429AfterTheTimeout()
    {
        await using var running = await HoldTheSlotAsync(gateways.ShortQueue);

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateways.Chat(gateways.ShortQueue).CompleteChatAsync([new UserChatMessage("hi")], OneToken));
        var waited = clock.Elapsed;

        Assert.Equal(429, e.Status);
        AssertRetryAfter(e);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "queue_full");
        // The slot stayed taken throughout, so the refusal was the queue's timeout, not a freed slot.
        running.EnsureRunning();
        Assert.Equal(0, running.Answers);
        // A lower bound, which load cannot break: the gateway's timer does not fire before Proxy:QueueTimeoutSeconds
        // (0.5 s; 50 ms for the clock's granularity), and this stopwatch spans the gateway's whole wait. A busy host only
        // makes the wait longer, so there is no upper bound.
        Assert.True(waited >= TimeSpan.FromSeconds(0.45), $"Refused after {waited.TotalSeconds:F2} s: it did not wait in the queue for Proxy:QueueTimeoutSeconds (0.5 s).");
        await UntilAdmittedAsync(gateways.ShortQueue, running);
    }

    private static void AssertRetryAfter(ClientResultException e)
    {
        Assert.True(e.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter), "No Retry-After header.");
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After: {retryAfter}");
    }

    /// <summary>A long streamed answer that holds a one-slot gateway's slot from its first token until disposed.</summary>
    /// <remarks>1,500 tokens take seconds even on a quiet machine; the answer is cancelled once the test has what it needs.</remarks>
    private static Task<LlamaLoad> HoldTheSlotAsync(GatewayProcess gateway) => LlamaLoad.StartAsync(gateway, tokens: 1500, repeat: false);

    /// <summary>Lets the slot go, then waits until the gateway admits a request again, so the next test finds the slot free.</summary>
    private static async Task UntilAdmittedAsync(GatewayProcess gateway, LlamaLoad running)
    {
        await running.DisposeAsync();
        await Eventually.UntilAsync(async () =>
        {
            using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", new
            {
                messages = new[] { new { role = "user", content = "hi" } },
                max_tokens = 1,
            });
            return response.StatusCode;
        }, status => status != HttpStatusCode.TooManyRequests, "the gateway to admit a request once the long answer was cancelled");
    }
}
