using System.Net.Http.Json;
using System.Runtime.ExceptionServices;

namespace LlmGateway.Tests;

/// <summary>Keeps llama-server generating until disposed: streamed answers of a fixed length, one after another, each checked.</summary>
/// <remarks>
/// The load under tests that measure CPU, priorities or admission. A load that fails at once would measure nothing, so
/// <see cref="StartAsync"/> returns only once tokens stream, every answer must end with "data: [DONE]", and a failure is
/// rethrown by <see cref="EnsureRunning"/> and by <see cref="DisposeAsync"/>.
/// The random-weight model stops at max_tokens only nearly always: ignore_eos makes it always, so no answer is cut short by
/// an improbable end-of-turn token.
/// </remarks>
public sealed class LlamaLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _streaming = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _http;
    private readonly int _tokens;
    private readonly bool _repeat;
    private readonly string? _model;
    private Task _run = Task.CompletedTask;
    private int _answers;
    private int _disposed;

    private LlamaLoad(GatewayProcess gateway, int tokens, bool repeat, string? model)
    {
        _model = model;
        // .NET drains a cancelled response for up to 2 s to reuse its connection, keeping the slot busy meanwhile; with
        // no draining, leaving closes the connection at once, as other clients do. No timeout: the test decides when to stop.
        _http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = gateway.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = gateway.Http.DefaultRequestHeaders.Authorization;
        (_tokens, _repeat) = (tokens, repeat);
    }

    /// <summary>Answers received whole so far.</summary>
    public int Answers => Volatile.Read(ref _answers);

    /// <summary>
    /// Starts the load and waits until llama-server streams its first tokens. <paramref name="tokens"/> stays within a slot's
    /// context (2,048 tokens by default; more is a 400, as OpenAI answers); <paramref name="repeat"/> asks again after each answer.
    /// </summary>
    /// <param name="model">The model asked for; null: none named, so the gateway's first.</param>
    public static async Task<LlamaLoad> StartAsync(GatewayProcess gateway, int tokens = 1900, bool repeat = true, string? model = null)
    {
        var load = new LlamaLoad(gateway, tokens, repeat, model);
        load._run = Task.Run(load.RunAsync);
        try
        {
            await Eventually.UntilAsync(() => load._streaming.Task.IsCompleted || load._run.IsCompleted, started => started,
                $"llama-server to stream the first tokens of a {tokens}-token answer");
            load.EnsureRunning();
            return load;
        }
        catch
        {
            await load._stop.CancelAsync();
            await Task.WhenAny(load._run); // its failure, if any, is the one just thrown
            load.Release();
            throw;
        }
    }

    /// <summary>Throws the load's failure, or says that a repeating load stopped by itself: what it was meant to cause did not happen.</summary>
    public void EnsureRunning()
    {
        if (_run.IsFaulted)
        {
            ExceptionDispatchInfo.Capture(_run.Exception!.InnerException!).Throw();
        }

        if (_repeat && _run.IsCompleted)
        {
            throw new InvalidOperationException("The load stopped by itself.");
        }
    }

    /// <summary>Stops the load (a client that leaves) and rethrows any failure but that cancellation.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // a test that stopped the load itself is disposed again at the end of its scope
        }

        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // stopped while generating, as intended
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new Dictionary<string, object?>
                {
                    ["model"] = _model,
                    ["messages"] = new[] { new { role = "user", content = "Tell a long story." } },
                    ["max_tokens"] = _tokens,
                    ["ignore_eos"] = true,
                    ["stream"] = true,
                }.Where(p => p.Value is not null).ToDictionary()),
            };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The load's request got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(_stop.Token)}");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            var done = false;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal))
                {
                    _streaming.TrySetResult();
                }

                done |= line == "data: [DONE]";
            }

            if (!done)
            {
                throw new InvalidOperationException("The load's stream ended without \"data: [DONE]\".");
            }

            Interlocked.Increment(ref _answers);
        }
        while (_repeat && !_stop.IsCancellationRequested);
    }
}
