using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using LlmGateway.Supervision;

namespace LlmGateway.Tests.InProcess;

/// <summary>
/// A stand-in for llama-server, for the faults the real one cannot produce on demand: a Kestrel in the test process on
/// a UNIX socket, requiring a per-start key as llama-server does.
/// </summary>
/// <remarks>
/// A request's prompt (the last message's content) selects what it gets: a test adds a <see cref="FakeScenario"/> and
/// sends its <see cref="FakeScenario.Prompt"/>. The gateway forwards bodies unchanged, so the choice travels with the
/// request itself, and any other prompt gets a short answer. Every successful answer also shows that the gateway sent
/// the key: a request without it gets llama-server's 401.
/// </remarks>
public sealed class FakeLlamaServer : IAsyncDisposable
{
    public const string ModelId = "fake-model";

    private readonly ConcurrentDictionary<string, FakeScenario> _scenarios = new(StringComparer.Ordinal);
    private readonly FakeScenario _anyOther = new("", Replies.Answer());
    private WebApplication? _app;

    private FakeLlamaServer(string directory) => SocketPath = Path.Combine(directory, "llama.sock");

    public string SocketPath { get; }

    public string ApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>Where the gateway reaches this server, as the supervisor publishes a started llama-server.</summary>
    public LlamaServerEndpoint Endpoint => new(SocketPath, ApiKey, Generation: 1);

    /// <summary>Starts listening on llama.sock in <paramref name="directory"/>.</summary>
    public static async Task<FakeLlamaServer> StartAsync(string directory)
    {
        var fake = new FakeLlamaServer(directory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(fake.SocketPath));
        var app = builder.Build();
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake._app = app;
        return fake;
    }

    /// <summary>A scenario whose prompt makes this server answer with <paramref name="reply"/>.</summary>
    public FakeScenario Add(FakeReply reply)
    {
        var scenario = new FakeScenario($"scenario-{Guid.NewGuid():N}", reply);
        _scenarios[scenario.Prompt] = scenario;
        return scenario;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            await Replies.WriteLlamaErrorAsync(context, StatusCodes.Status401Unauthorized, "Invalid API Key", "authentication_error");
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/health":
                await Replies.WriteAsync(context, StatusCodes.Status200OK, "application/json", """{"status":"ok"}""");
                break;
            case "/metrics":
                await Replies.WriteAsync(context, StatusCodes.Status200OK, "text/plain; version=0.0.4", "# a fake llama-server has no metrics\n");
                break;
            case "/slots":
                await Replies.WriteAsync(context, StatusCodes.Status200OK, "application/json", """[{"id":0,"is_processing":false}]""");
                break;
            case "/v1/chat/completions" or "/v1/completions":
                var request = await FakeRequest.ReadAsync(context.Request, context.RequestAborted);
                await (_scenarios.TryGetValue(request.Prompt, out var scenario) ? scenario : _anyOther).RunAsync(context, request);
                break;
            default:
                await Replies.WriteLlamaErrorAsync(context, StatusCodes.Status404NotFound, "File Not Found", "not_found_error");
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
