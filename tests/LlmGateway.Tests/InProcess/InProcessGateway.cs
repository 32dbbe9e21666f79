using System.ClientModel;
using System.ClientModel.Primitives;
using LlmGateway.Gguf;
using LlmGateway.Hosting;
using LlmGateway.Proxy;
using LlmGateway.Supervision;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using OpenAI.Chat;

namespace LlmGateway.Tests.InProcess;

/// <summary>The gateway's own Program, hosted in the test process on a real Kestrel (loopback, port 0), in front of a <see cref="FakeLlamaServer"/>.</summary>
/// <remarks>
/// <para>
/// WebApplicationFactory rather than a hand-built host: it runs Program.cs itself (its middleware, its route groups, its
/// start-up checks), so a test notices when the composition changes, and swaps services after Program registered them.
/// UseKestrel rather than the in-memory TestServer: the faults under test are connection-level (a response aborted after
/// it started, a client that closes its connection while queued), and only a real socket shows them as a client sees them.
/// </para>
/// <para>
/// The models' hosted service is removed, so no llama-server is preloaded (and a model that is not unloaded is never loaded on demand); the fake is published as the ready child
/// the way the supervisor publishes one once /health answers 200. With <c>fakeTime</c>, the gateway's TimeProvider is a
/// <see cref="FakeTimeProvider"/>: a test moves it past Proxy:IdleTimeoutSeconds at the moment it chooses, so "no progress"
/// never depends on how fast a loaded machine is.
/// </para>
/// A subclass per setting is an xunit fixture: one gateway and one fake per test class.
/// </remarks>
public abstract class InProcessGateway : IAsyncLifetime
{
    public const string ApiKey = "in-process-key";

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Model:Id"] = FakeLlamaServer.ModelId,
        // A state published as restarting or starting is answered at once (503), not waited on: no child will come.
        ["Models:LoadWaitSeconds"] = "0",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    private readonly DirectoryInfo _directory = System.IO.Directory.CreateTempSubdirectory("llmgw-inproc-");
    private Factory? _factory;

    protected InProcessGateway(Dictionary<string, string?>? settings = null, bool fakeTime = false)
    {
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }

        Time = fakeTime ? new FakeTimeProvider() : null;
    }

    /// <summary>The gateway's clock when it was started with fakeTime; null when it uses the system's.</summary>
    public FakeTimeProvider? Time { get; }

    public FakeLlamaServer Upstream { get; private set; } = null!;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Raw HTTP to the gateway, with no Authorization header.</summary>
    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _factory?.Services ?? throw new InvalidOperationException("The gateway is not started.");

    public Admission Admission => Services.GetRequiredService<ModelRegistry>().Default.Admission;

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(Services.GetRequiredService<IOptions<ProxyOptions>>().Value.IdleTimeoutSeconds);

    /// <summary>A directory of this gateway's own, for sockets nobody listens on.</summary>
    public string WorkDirectory => _directory.FullName;

    public async Task InitializeAsync()
    {
        Upstream = await FakeLlamaServer.StartAsync(_directory.FullName);

        // Only the header is read: a GGUF with an architecture and a name and no tensors is a model to the gateway.
        var model = Path.Combine(_directory.FullName, "fake.gguf");
        new GgufWriter()
            .Add("general.architecture", GgufValue.String("llama"))
            .Add("general.name", GgufValue.String(FakeLlamaServer.ModelId))
            .WriteTo(model);
        _settings["Model:Path"] = model;

        _factory = new Factory(_settings, Time);
        _factory.UseKestrel(0);
        _factory.StartServer();
        BaseUri = _factory.ClientOptions.BaseAddress;
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = Eventually.Ceiling };
        ServeUpstream();
    }

    /// <summary>Publishes the fake as the ready llama-server, as the supervisor does for a started child.</summary>
    public void ServeUpstream() => Publish(new ChildState(ChildStatus.Ready, Starts: 1), Upstream.Endpoint);

    /// <summary>Publishes another child state (restarting, failed, a child on a dead socket); <see cref="ServeUpstream"/> undoes it.</summary>
    public void Publish(ChildState state, LlamaServerEndpoint? endpoint) =>
        Services.GetRequiredService<ModelRegistry>().Default.Store.Publish(state, endpoint);

    /// <summary>The official SDK's chat client for this gateway, with retries off: they would hide the very answers under test.</summary>
    public ChatClient Chat(string key = ApiKey, string model = FakeLlamaServer.ModelId) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUri, "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Eventually.Ceiling,
        });

    /// <summary>GET /metrics, parsed.</summary>
    public async Task<MetricsScrape> ScrapeAsync(string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return MetricsScrape.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until /metrics counts <paramref name="done"/> (requests are recorded once the gateway has finished them).</summary>
    public Task<MetricsScrape> ScrapeUntilAsync(Func<MetricsScrape, bool> done, string what) =>
        Eventually.UntilAsync(() => ScrapeAsync(), done, what);

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (Upstream is not null)
        {
            await Upstream.DisposeAsync();
        }

        _directory.Delete(recursive: true);
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, TimeProvider? time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // As deployed: WebApplicationFactory's default, Development, would add the developer exception page.
            builder.UseEnvironment(Environments.Production);
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            builder.ConfigureTestServices(services =>
            {
                // The one part that would start a real llama-server; a model that is not unloaded is never started on demand.
                services.Remove(services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ModelLifetime)));
                if (time is not null)
                {
                    services.AddSingleton(time);
                }
            });
        }
    }
}
