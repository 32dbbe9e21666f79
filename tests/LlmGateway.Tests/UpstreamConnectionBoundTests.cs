using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmGateway.Supervision;

namespace LlmGateway.Tests;

/// <summary>
/// The gateway never holds more connections to llama-server than llama-server has fixed HTTP threads: a connection
/// beyond them can wait for a kept-alive one to expire, up to 5 s (docs/benchmarks/http-thread-stall.md).
/// </summary>
public sealed class UpstreamConnectionBoundTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmgw-bound-").FullName;

    [Theory]
    [InlineData(1, 7)]
    [InlineData(8, 14)]
    public void HttpThreads_ByDefault_CoverEveryPooledConnectionAndTheSpare(int parallel, int threads)
    {
        var options = new LlamaServerOptions { Parallel = parallel };

        Assert.Equal(threads, LlamaServerTransport.HttpThreads(options));
        Assert.True(LlamaServerTransport.MaxConnectionsFor(parallel) + 1 < threads, "pooled connections and the spare leave a thread free");
    }

    [Theory]
    [InlineData(8, 13)]
    [InlineData(8, 1025)]
    [InlineData(1, -1)]
    public void HttpThreads_BelowTheGatewaysConnectionsOrAbsurd_IsRefused_NamingTheSetting(int parallel, int threads)
    {
        var result = new LlamaServerOptionsValidator().Validate(null, new LlamaServerOptions { Parallel = parallel, HttpThreads = threads });

        Assert.True(result.Failed);
        Assert.Contains("LlamaServer:HttpThreads", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpThreads_ZeroOrEnough_IsAccepted_AndThreadsHttpInExtraArguments_IsRefused()
    {
        var validator = new LlamaServerOptionsValidator();

        Assert.True(validator.Validate(null, new LlamaServerOptions { Parallel = 8 }).Succeeded);
        Assert.True(validator.Validate(null, new LlamaServerOptions { Parallel = 8, HttpThreads = 64 }).Succeeded);
        var extra = validator.Validate(null, new LlamaServerOptions { ExtraArguments = ["--threads-http", "4"] });
        Assert.True(extra.Failed);
        Assert.Contains("LlamaServer:HttpThreads", extra.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>
    /// Three times as many requests at once as the pool may hold connections, against a UNIX socket server that
    /// answers nothing until it has seen them: it sees exactly the bound, and after every request is answered on the
    /// kept connections, no more were opened.
    /// </summary>
    [Fact]
    public async Task ManyRequestsAtOnce_OpenNoMoreConnectionsThanTheBound()
    {
        var endpoint = new LlamaServerEndpoint(Path.Combine(_dir, "llama.sock"), "key", Generation: 1);
        using var server = new HoldingServer(endpoint.SocketPath);
        var store = new ChildStateStore();
        using var connection = new LlamaServerTransport(store, parallel: 2);
        store.Publish(new ChildState(ChildStatus.Ready), endpoint);
        var bound = connection.MaxConnections;

        var requests = Enumerable.Range(0, 3 * bound).Select(async _ =>
        {
            using var request = connection.CreateRequest(HttpMethod.Get, "/slots")!;
            using var response = await connection.Invoker.SendAsync(request, CancellationToken.None);
            return response.StatusCode;
        }).ToList();

        await server.WaitUntilRequestsPendingAsync(bound);
        Assert.Equal(bound, server.Accepted); // every connection has its request, and the rest wait in the pool
        server.Answer();
        var statuses = await Task.WhenAll(requests);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(bound, server.Accepted);
    }

    /// <summary>
    /// The real thing: a flood of completions, streams and admin forwards through the gateway never makes
    /// llama-server add an HTTP thread beyond its fixed ones, which it does only when all of them hold a connection.
    /// </summary>
    [Fact]
    public async Task Flood_ThroughTheGateway_NeverMakesLlamaServerAddAnHttpThread()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__Parallel"] = "2";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var child = await gateway.ChildPidAsync();
        var argv = (await File.ReadAllTextAsync($"/proc/{child}/cmdline")).Split('\0');
        Assert.Equal("8", argv[Array.IndexOf(argv, "--threads-http") + 1]);
        var fixedThreads = Directory.GetDirectories($"/proc/{child}/task").Length;

        using var stop = new CancellationTokenSource();
        var peak = 0;
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Directory.GetDirectories($"/proc/{child}/task").Length);
                await Task.Delay(10, CancellationToken.None);
            }
        });

        // Several waves: connections come and go (streams use theirs up), so the pool reconnects under load.
        for (var wave = 0; wave < 5; wave++)
        {
            await Task.WhenAll(Enumerable.Range(0, 24).Select(i => (i % 4) switch
            {
                0 => Send(gateway, "/v1/chat/completions", Chat(stream: false)),
                1 => Send(gateway, "/v1/chat/completions", Chat(stream: true)),
                2 => Send(gateway, "/admin/slots", null),
                _ => Send(gateway, "/admin/llama-server/metrics", null),
            }));
        }

        // A thread added for a connection lives 3 s after its last one; any added during the flood is still there.
        peak = Math.Max(peak, Directory.GetDirectories($"/proc/{child}/task").Length);
        await stop.CancelAsync();
        await watch;

        Assert.True(peak <= fixedThreads, $"llama-server had {fixedThreads} threads when idle and {peak} during the flood: " +
            "the gateway held a connection for every fixed HTTP thread, and one more would have waited.");
    }

    private static string Chat(bool stream) =>
        $$"""{"messages":[{"role":"user","content":"Say hello."}],"max_tokens":2,"stream":{{(stream ? "true" : "false")}}}""";

    private static async Task Send(GatewayProcess gateway, string path, string? body)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Accepts every connection, reads requests, and answers none until told to; then answers all, kept alive.</summary>
    private sealed class HoldingServer : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentBag<Socket> _connections = [];
        private readonly SemaphoreSlim _requestSeen = new(0);
        private int _accepted;
        private int _pending;

        public HoldingServer(string path)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(512);
            _ = AcceptLoop();
        }

        public int Accepted => Volatile.Read(ref _accepted);

        public void Answer() => _answer.TrySetResult();

        public async Task WaitUntilRequestsPendingAsync(int count)
        {
            using var timeout = new CancellationTokenSource(Eventually.Ceiling);
            while (Volatile.Read(ref _pending) < count)
            {
                try
                {
                    await _requestSeen.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"waited for {count} requests on their own connections; saw {_pending}");
                }
            }
        }

        private async Task AcceptLoop()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptAsync();
                    Interlocked.Increment(ref _accepted);
                    _connections.Add(socket);
                    _ = Serve(socket);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task Serve(Socket socket)
        {
            var buffer = new byte[4096];
            var seen = new StringBuilder();
            var first = true;
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer);
                    if (n == 0)
                    {
                        return;
                    }

                    seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    while (seen.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                    {
                        seen.Remove(0, end + 4); // GET requests: headers only
                        if (first)
                        {
                            first = false;
                            Interlocked.Increment(ref _pending);
                            _requestSeen.Release();
                            await _answer.Task;
                        }

                        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"u8.ToArray());
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            foreach (var socket in _connections)
            {
                socket.Dispose();
            }
        }
    }
}
