using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>A client that reads a stream one byte a second, and 200 connections that send their headers slowly.</summary>
/// <remarks>bench/faults.sh slow-clients measures the normal client's latency under the same load.</remarks>
[Collection(MachineAlone.Name)]
public sealed class SlowClientTests
{
    private const int Slowloris = 200;

    [Fact]
    public async Task SlowReaderAndSlowloris_ANormalClientIsStillServedCompletely()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__Parallel"] = "2"; // the slow reader may hold one slot: backpressure reaches llama-server
        settings["LlamaServer__ContextSize"] = "4096";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var model = await gateway.ModelIdAsync();
        using var stop = new CancellationTokenSource();

        var slowReader = SlowReaderAsync(gateway.BaseUri, model, stop.Token);
        var loris = await Task.WhenAll(Enumerable.Range(0, Slowloris).Select(_ => ConnectAsync(gateway.BaseUri)));
        var trickle = TrickleHeadersAsync(loris, stop.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling };
            var whole = await FaultClient.ChatAsync(http, model, stream: false, maxTokens: 16);
            var streamed = await FaultClient.ChatAsync(http, model, stream: true, maxTokens: 16);
            using var ready = await http.GetAsync("/ready");

            Assert.Equal((FaultOutcome.Complete, "json"), whole);
            Assert.Equal((FaultOutcome.Complete, "stream"), streamed);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.False(slowReader.IsCompleted, "the slow reader's stream ended before the normal client was served");
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(slowReader, trickle);
            foreach (var socket in loris)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>A long stream read one byte a second through a small receive buffer; ends when the test stops or the gateway cuts it.</summary>
    private static async Task SlowReaderAsync(Uri gateway, string model, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(gateway.Host, gateway.Port, ct);
        var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Tell a long story." } }, max_tokens = 2000, ignore_eos = true, stream = true });
        var request = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {gateway.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
        await socket.SendAsync(Encoding.UTF8.GetBytes(request), ct);
        var one = new byte[1];
        try
        {
            while (await socket.ReceiveAsync(one, ct) > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // the test is over, or the gateway gave up on this reader: both are fine
        }
    }

    private static async Task<Socket> ConnectAsync(Uri gateway)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(gateway.Host, gateway.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: {gateway.Authority}\r\n"));
        return socket;
    }

    /// <summary>One more header line on every connection each second, never the blank line that ends them.</summary>
    private static async Task TrickleHeadersAsync(Socket[] sockets, CancellationToken ct)
    {
        var line = Encoding.ASCII.GetBytes("X-Slow: 1\r\n");
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                foreach (var socket in sockets)
                {
                    try
                    {
                        await socket.SendAsync(line, ct);
                    }
                    catch (SocketException)
                    {
                        // Kestrel closed it (RequestHeadersTimeout): as intended
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
