using System.ClientModel;
using System.Diagnostics;
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
        await using var running = await LongGeneration.StartAsync(gateways, gateways.NoQueue);

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateways.Chat(gateways.NoQueue).CompleteChatAsync([new UserChatMessage("hi")], OneToken));
        var waited = clock.Elapsed;

        Assert.Equal(429, e.Status);
        AssertRetryAfter(e);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "queue_full");
        Assert.False(running.IsFinished, "The long generation ended before the second request was refused.");
        Assert.True(waited < TimeSpan.FromSeconds(2), $"With no queue the refusal should be immediate, it took {waited.TotalSeconds:F2} s.");
    }

    [Fact]
    public async Task QueueTimeout_RequestQueuedBehindALongOne_Is429AfterTheTimeout()
    {
        await using var running = await LongGeneration.StartAsync(gateways, gateways.ShortQueue);

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateways.Chat(gateways.ShortQueue).CompleteChatAsync([new UserChatMessage("hi")], OneToken));
        var waited = clock.Elapsed;

        Assert.Equal(429, e.Status);
        AssertRetryAfter(e);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "queue_full");
        Assert.False(running.IsFinished, "The long generation ended before the queued request was refused.");
        Assert.True(waited >= TimeSpan.FromSeconds(0.45), $"Refused after {waited.TotalSeconds:F2} s: it did not wait in the queue for Proxy:QueueTimeoutSeconds (0.5 s).");
    }

    private static void AssertRetryAfter(ClientResultException e)
    {
        Assert.True(e.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter), "No Retry-After header.");
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After: {retryAfter}");
    }

    /// <summary>A long streamed answer that holds a one-slot gateway's slot from its first token until disposed.</summary>
    private sealed class LongGeneration : IAsyncDisposable
    {
        // 1500 tokens take seconds even on a quiet machine; the answer is cancelled once the test has what it needs.
        private const int Tokens = 1500;

        private readonly CancellationTokenSource _cancel = new();

        // .NET would drain a cancelled response for up to 2 s to reuse the connection, keeping the slot busy meanwhile.
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        private readonly ChatClient _probe;
        private Task _run = Task.CompletedTask;

        private LongGeneration(ChatClient probe) => _probe = probe;

        public bool IsFinished => _run.IsCompleted;

        public static async Task<LongGeneration> StartAsync(ApiGateways gateways, GatewayProcess gateway)
        {
            var generation = new LongGeneration(gateways.Chat(gateway));
            var chat = gateways.Chat(gateway, transport: generation._http);
            var firstToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            generation._run = Task.Run(async () =>
            {
                var options = ApiGateways.ExactLength(Tokens);
                await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a long story.")], options, generation._cancel.Token))
                {
                    if (update.ContentUpdate.Count > 0)
                    {
                        firstToken.TrySetResult();
                    }
                }
            });

            if (await Task.WhenAny(firstToken.Task, generation._run, Task.Delay(TimeSpan.FromSeconds(30))) != firstToken.Task)
            {
                await generation.DisposeAsync(); // rethrows the generation's own failure, if it failed
                throw new InvalidOperationException("The long generation sent no content within 30 s.");
            }

            return generation;
        }

        /// <summary>Cancels the answer, then waits until the gateway admits a request again, so the next test finds the slot free.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                await _cancel.CancelAsync();
                try
                {
                    await _run;
                }
                catch (OperationCanceledException)
                {
                }

                var clock = Stopwatch.StartNew();
                while (true)
                {
                    try
                    {
                        await _probe.CompleteChatAsync([new UserChatMessage("hi")], OneToken);
                        break;
                    }
                    catch (ClientResultException e) when (e.Status == 429 && clock.Elapsed < TimeSpan.FromSeconds(10))
                    {
                        await Task.Delay(50);
                    }
                }
            }
            finally
            {
                _http.Dispose();
                _cancel.Dispose();
            }
        }
    }
}
