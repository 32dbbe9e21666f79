using System.Net.Http.Headers;
using System.Net.Sockets;

namespace LlmGateway.Supervision;

/// <summary>How the gateway reaches one model's current llama-server: HTTP over its socket with its per-start key.</summary>
/// <remarks>
/// llama-server listens on a UNIX socket in a private directory, so no other process can take its
/// address between two starts, and it requires a random key, so only the gateway can use it.
/// Each start gets its own host name in request URIs, so pooled connections to a dead child are never reused.
/// The state and endpoint are the supervisor's (<see cref="ChildStateStore"/>); this is only the transport.
/// New connections come from a <see cref="SpareSocket"/> when one is ready: streams use their connection up.
/// <para>
/// The gateway never holds more connections than llama-server has fixed HTTP threads. llama-server serves each
/// connection on one thread for as long as it is kept alive, and its thread pool (cpp-httplib's) adds a thread
/// only when it counts no idle one; but it counts a thread it has just woken for another connection as idle
/// still. So when several connections arrive together and some, but fewer, fixed threads are free, the last
/// ones wait until a kept-alive connection expires: up to llama-server's 5 s keep-alive
/// (docs/benchmarks/http-thread-stall.md). With fewer connections than fixed threads, each finds a free one.
/// </para>
/// </remarks>
public sealed class LlamaServerTransport : IDisposable
{
    /// <summary>Connections beside one per slot: the /metrics poller, the health check, and two admin forwards.</summary>
    private const int ExtraConnections = 4;

    /// <summary>
    /// How long an unused pooled connection is kept: below llama-server's keep-alive (5 s), so the gateway closes
    /// it first and never sends a request on a connection llama-server is dropping at that moment; and every
    /// thread llama-server keeps for an idle connection polls it every 10 ms, so idle ones go soon.
    /// </summary>
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(3);

    private readonly SpareSocket _spare = new(ConnectSocketAsync);
    private readonly ChildStateStore _store;
    private LlamaServerEndpoint? _spareFor;

    public LlamaServerTransport(ChildStateStore store, int parallel)
    {
        _store = store;
        // A new endpoint (or none) makes any spare connection useless: it belongs to a child that is gone.
        store.Changed += () =>
        {
            if (store.Endpoint != Volatile.Read(ref _spareFor))
            {
                Volatile.Write(ref _spareFor, store.Endpoint);
                _spare.Clear();
            }
        };
        MaxConnections = MaxConnectionsFor(parallel);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            ConnectCallback = ConnectAsync,
            PooledConnectionIdleTimeout = IdleTimeout,
            // Requests beyond it wait for a connection here, in order, rather than in llama-server's accept queue.
            MaxConnectionsPerServer = MaxConnections,
        };
        // Not HttpClient: its SendAsync buffers and times out the whole exchange; a stream needs neither.
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>Pooled connections the gateway may hold to one start of llama-server; the spare comes on top.</summary>
    public int MaxConnections { get; }

    /// <summary>The pool's bound for <paramref name="parallel"/> slots: admission lets that many requests in.</summary>
    public static int MaxConnectionsFor(int parallel) => parallel + ExtraConnections;

    /// <summary>
    /// llama-server's fixed HTTP threads (--threads-http) unless configured: every pooled connection, the spare,
    /// and one for a connection the gateway has closed that llama-server has not let go of yet.
    /// </summary>
    public static int DefaultHttpThreads(int parallel) => MaxConnectionsFor(parallel) + 2;

    /// <summary>The --threads-http llama-server gets: <see cref="LlamaServerOptions.HttpThreads"/>, or the default.</summary>
    public static int HttpThreads(LlamaServerOptions o) => o.HttpThreads > 0 ? o.HttpThreads : DefaultHttpThreads(o.Parallel);

    public ChildState State => _store.State;

    /// <summary>A request to the current child, with its key; null when no child is ready.</summary>
    public HttpRequestMessage? CreateRequest(HttpMethod method, string pathAndQuery)
    {
        if (_store.Endpoint is not { } endpoint || !_store.State.IsReady)
        {
            return null;
        }

        var request = new HttpRequestMessage(method, new Uri(endpoint.BaseUri, pathAndQuery)) { Version = System.Net.HttpVersion.Version11 };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        return request;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = _store.Endpoint is { } e && e.BaseUri.Host == context.DnsEndPoint.Host
            ? e
            : throw new HttpRequestException("llama-server is not running.");
        var socket = _spare.Take(endpoint) ?? await ConnectSocketAsync(endpoint, cancellationToken);
        if (context.InitialRequestMessage.Headers.ConnectionClose == true)
        {
            // A stream uses its connection up (see UpstreamForwarder); the next one will want a new connection.
            _ = _spare.Fill(endpoint);
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<Socket> ConnectSocketAsync(LlamaServerEndpoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.SocketPath), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Invoker.Dispose();
        _spare.Dispose();
    }
}
