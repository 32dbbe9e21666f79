using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>The gateway's child under stress: clients that leave, and llama-server killed while idle or mid-answer.</summary>
/// <remarks>The tests share one gateway and run one after another; each waits until the child is ready again.</remarks>
public sealed class SupervisionTests(SupervisionTests.RestartingGateway fixture) : IClassFixture<SupervisionTests.RestartingGateway>, IDisposable
{
    // .NET drains an abandoned response for up to 2 s to reuse its connection, so a cancelling client would not
    // really leave; with no draining it closes the connection at once, as other clients do.
    private readonly HttpClient _sdkHttp = new(new SocketsHttpHandler { MaxResponseDrainSize = 0 });

    private GatewayProcess Gateway => fixture.Gateway;

    [Fact]
    public async Task Stream_ClientCancels_LlamaServerStopsGenerating_BeforeTheAnswerIsComplete()
    {
        var chat = await ChatAsync();
        using var cancel = new CancellationTokenSource();
        var updates = 0;
        var busyBeforeCancel = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a long story.")], LongAnswer, cancel.Token))
            {
                if (++updates == 3)
                {
                    busyBeforeCancel = await Gateway.BusySlotsAsync();
                    cancel.Cancel();
                }
            }
        });

        Assert.Equal(1, busyBeforeCancel); // it was generating when the client left
        await Eventually.UntilAsync(Gateway.BusySlotsAsync, busy => busy == 0, "llama-server's slot to be idle after the client left");
        // Stopped, not finished: with ignore_eos only the client's leaving ends the answer before LongAnswerTokens.
        var slots = await Gateway.Http.GetFromJsonAsync<JsonElement>("/admin/slots");
        var decoded = slots[0].GetProperty("next_token")[0].GetProperty("n_decoded").GetInt32();
        Assert.True(decoded < LongAnswerTokens, $"llama-server generated all {decoded} tokens for a client that had left: {slots}");
    }

    [Fact]
    public async Task ChildKilled_RequestWaitsForTheRestartedChild_ThenStreamsWorkOnIt()
    {
        // Another test of this class may have just killed the child: /ready can say "ready" for the few
        // milliseconds before the supervisor sees the exit, so wait for a ready state whose child is alive.
        var before = await Gateway.WaitForStateAsync(
            s => s.GetProperty("status").GetString() == "ready" && s.GetProperty("pid").ValueKind == JsonValueKind.Number && Posix.IsAlive(s.GetProperty("pid").GetInt32()),
            "a ready state whose llama-server is alive");
        var pid = before.GetProperty("pid").GetInt32();

        // A stream leaves a connection to this child ready for the next stream (SpareSocket); streams must work on the next child too.
        Assert.NotEqual(0, await StreamedUpdatesAsync());
        Assert.Equal(0, Posix.Kill(pid, Posix.SigKill));
        await WaitUntilNotReadyAsync();
        // Arriving while the child restarts, it waits for the restart (Models:LoadWaitSeconds) rather than failing;
        // past that wait it would get 503 with Retry-After (ModelsTests).
        using var response = await Gateway.Http.PostAsync("/v1/chat/completions", ChatBody(await Gateway.ModelIdAsync()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Gateway.WaitUntilReadyAsync();
        ChatCompletion completion = await (await ChatAsync()).CompleteChatAsync([new UserChatMessage("Say hello.")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 4);
        Assert.NotEqual(0, await StreamedUpdatesAsync());

        var after = await Gateway.ReadyStateAsync();
        var newPid = after.GetProperty("pid").GetInt32();
        Assert.NotEqual(pid, newPid);
        Assert.True(Posix.IsAlive(newPid));
        Assert.True(after.GetProperty("crashes").GetInt32() >= before.GetProperty("crashes").GetInt32() + 1, after.ToString());
        Assert.True(after.GetProperty("starts").GetInt32() >= before.GetProperty("starts").GetInt32() + 1, after.ToString());
        Assert.True(after.GetProperty("crashes").GetInt32() >= 1 && after.GetProperty("starts").GetInt32() >= 2, after.ToString());
    }

    [Fact]
    public async Task ChildKilledMidStream_ClientSeesAnError_NotACleanEnd()
    {
        var chat = await ChatAsync();
        var pid = await Gateway.ChildPidAsync();
        var updates = 0;
        var killed = false;
        var finished = false;

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a long story.")], LongAnswer))
            {
                finished |= update.FinishReason is not null;
                if (++updates == 3)
                {
                    killed = Posix.Kill(pid, Posix.SigKill) == 0;
                }
            }
        });

        Assert.True(killed, "llama-server was not killed mid-stream.");
        Assert.False(finished, "The stream ended with a finish_reason although llama-server was killed mid-answer.");
        Assert.NotNull(error);
        Assert.IsNotAssignableFrom<OperationCanceledException>(error);
        await Gateway.WaitUntilReadyAsync(); // leave the shared gateway serving
    }

    [Fact]
    public async Task ChildOutput_IsLoggedUnderTheLlamaServerCategory()
    {
        await Gateway.WaitUntilReadyAsync();
        var lines = Gateway.Output.Split('\n');

        // The console logger writes "info: Category[event id]" and then the message on the next line.
        var childLines = lines.Skip(1).Where((_, i) => lines[i].StartsWith("info: LlmGateway.LlamaServer[", StringComparison.Ordinal)).ToList();
        Assert.Contains(childLines, l => l.Contains("llama_server: model loaded", StringComparison.Ordinal));
        Assert.DoesNotContain(childLines, l => l.Contains("llmgw-launch: child", StringComparison.Ordinal)); // the launcher's PID line is not the child's
    }

    private async Task<int> StreamedUpdatesAsync()
    {
        var updates = 0;
        await foreach (var update in (await ChatAsync()).CompleteChatStreamingAsync([new UserChatMessage("Say hello.")], new ChatCompletionOptions { MaxOutputTokenCount = 4 }))
        {
            updates += update.ContentUpdate.Count;
        }

        return updates;
    }

    private const int LongAnswerTokens = 1900; // within a slot's 2,048-token context: more is a 400

    /// <summary>An answer of exactly <see cref="LongAnswerTokens"/> tokens: ignore_eos, so it is not cut short by the model.</summary>
    private static ChatCompletionOptions LongAnswer => ApiGateways.ExactLength(LongAnswerTokens);

    private async Task<ChatClient> ChatAsync()
    {
        await Gateway.WaitUntilReadyAsync();
        return new ChatClient(await Gateway.ModelIdAsync(), new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(Gateway, _sdkHttp));
    }

    private static JsonContent ChatBody(string model) =>
        JsonContent.Create(new { model, messages = new[] { new { role = "user", content = "Say hello." } }, max_tokens = 4 });

    private async Task WaitUntilNotReadyAsync()
    {
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                using var response = await Gateway.Http.GetAsync("/ready");
                return response.StatusCode;
            }, status => status != HttpStatusCode.OK, "/ready to stop answering 200 once llama-server was killed");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Gateway.Output}", e);
        }
    }

    public void Dispose() => _sdkHttp.Dispose();

    /// <summary>A gateway whose restarts wait three seconds: the window in which requests get 503.</summary>
    /// <remarks>The test sees the window and sends one request in it, two loopback round trips: 3 s leaves room for a busy host.</remarks>
    public sealed class RestartingGateway : IAsyncLifetime
    {
        public GatewayProcess Gateway { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var settings = GatewayProcess.DefaultSettings();
            settings["LlamaServer__RestartDelaySeconds"] = "3";
            Gateway = await GatewayProcess.StartAsync(settings);
        }

        public async Task DisposeAsync() => await Gateway.DisposeAsync();
    }
}
