using System.ClientModel;
using System.Globalization;
using System.Net.Http.Headers;
using OpenAI;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>The three gateways the API and admission tests share, started together once for the whole collection.</summary>
/// <remarks>
/// Each gateway carries the settings of several tests, so that the collection costs three starts, not one per setting.
/// The collection's classes run one after another, so no test's generation holds another's one-slot gateway.
/// The class is both the collection's definition and its fixture.
/// </remarks>
[CollectionDefinition(Name)]
public sealed class ApiGateways : ICollectionFixture<ApiGateways>, IAsyncLifetime
{
    public const string Name = "API gateways";
    public const string ApiKey = "secret";
    public const string Alias = "gpt-4o-mini";

    /// <summary>An alias with a '/', as Hugging Face names have: SDKs escape it in GET /v1/models/{id}.</summary>
    public const string SlashedAlias = "Qwen/Qwen2-0.5B-Instruct";

    public const int MaxRequestBodyBytes = 65_536;

    /// <summary>An API key, two aliases, a 64 KB body limit, one slot with the default queue, and embeddings on.</summary>
    public GatewayProcess Main { get; private set; } = null!;

    /// <summary>One slot and no queue: a second request is refused at once. Embeddings off.</summary>
    public GatewayProcess NoQueue { get; private set; } = null!;

    /// <summary>One slot, a queue of one and a 0.5 s queue timeout. Embeddings on, with the pooling the gateway chooses.</summary>
    public GatewayProcess ShortQueue { get; private set; } = null!;

    /// <summary>The id of the served model, as GET /v1/models lists it first.</summary>
    public string ModelId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var main = Settings(new()
        {
            ["Security__ApiKeys__0"] = ApiKey,
            ["Model__Aliases__0"] = Alias,
            ["Model__Aliases__1"] = SlashedAlias,
            ["Proxy__MaxRequestBodyBytes"] = MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["LlamaServer__Parallel"] = "1",
            ["LlamaServer__Embeddings"] = "true",
            // A generative model has no pooling of its own, and llama-server refuses OpenAI embeddings without one.
            ["LlamaServer__ExtraArguments__0"] = "--pooling",
            ["LlamaServer__ExtraArguments__1"] = "mean",
        });
        var noQueue = Settings(new()
        {
            ["LlamaServer__Parallel"] = "1",
            ["Proxy__QueueLength"] = "0",
        });
        var shortQueue = Settings(new()
        {
            ["LlamaServer__Parallel"] = "1",
            ["Proxy__QueueLength"] = "1",
            ["Proxy__QueueTimeoutSeconds"] = "0.5",
            ["LlamaServer__Embeddings"] = "true",
        });

        Task<GatewayProcess>[] starts = [GatewayProcess.StartAsync(main), GatewayProcess.StartAsync(noQueue), GatewayProcess.StartAsync(shortQueue)];
        try
        {
            await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var started in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        (Main, NoQueue, ShortQueue) = (starts[0].Result, starts[1].Result, starts[2].Result);
        Main.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        ModelId = await Main.ModelIdAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in new[] { Main, NoQueue, ShortQueue }.Where(g => g is not null))
        {
            await gateway.DisposeAsync();
        }
    }

    /// <summary>SDK options for <paramref name="gateway"/> with retries off (<see cref="OpenAiOptions"/> says why).</summary>
    public static OpenAIClientOptions Options(GatewayProcess gateway, HttpClient? transport = null) => OpenAiOptions.NoRetries(gateway, transport);

    public ChatClient Chat(GatewayProcess gateway, string? model = null, string key = ApiKey, HttpClient? transport = null) =>
        new(model ?? ModelId, new ApiKeyCredential(key), Options(gateway, transport));

    /// <summary>A client of <see cref="Main"/> with no Authorization header.</summary>
    public HttpClient AnonymousHttp() => new() { BaseAddress = Main.BaseUri, Timeout = Eventually.Ceiling };

    /// <summary>Options for an answer of exactly <paramref name="tokens"/> tokens.</summary>
    /// <remarks>
    /// The random-weight model stops only at max_tokens, nearly always: llama-server's ignore_eos makes it always, so
    /// tests that need a long answer cannot be cut short by an improbable end-of-turn token.
    /// </remarks>
    public static ChatCompletionOptions ExactLength(int tokens)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = tokens };
#pragma warning disable SCME0001 // Patch is the SDK's way to send a field OpenAI does not define.
        options.Patch.Set("$.ignore_eos"u8, true);
#pragma warning restore SCME0001
        return options;
    }

    private static Dictionary<string, string?> Settings(Dictionary<string, string?> overrides) => GatewayProcess.Settings(overrides);
}
