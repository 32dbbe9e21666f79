using System.Net.Sockets;
using System.Text;
using LlmGateway.Supervision;

namespace LlmGateway.Tests;

/// <summary>The liveness probe's own /health request: a status line read, a connection of its own, closed after.</summary>
public sealed class HealthProbeTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\n", 200)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\n", 503)]
    [InlineData("HTTP/1.0 404 Not Found", 404)]
    [InlineData("HTTP/2 200", 0)]
    [InlineData("HTTP/1.1 2x0 OK", 0)]
    [InlineData("HTTP/1.1 20", 0)]
    [InlineData("", 0)]
    public void ParseStatus_ReadsTheStatusLine(string head, int status) =>
        Assert.Equal(status, HealthProbe.ParseStatus(Encoding.ASCII.GetBytes(head)));

    [Fact]
    public async Task StatusAsync_AsksHealthWithConnectionClose_OnItsOwnSocket()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmgw-probe-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        try
        {
            var server = Task.Run(async () =>
            {
                using var client = await listener.AcceptAsync();
                var buffer = new byte[1024];
                var request = "";
                while (!request.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await client.ReceiveAsync(buffer, SocketFlags.None);
                    Assert.NotEqual(0, n);
                    request += Encoding.ASCII.GetString(buffer, 0, n);
                }

                await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}"), SocketFlags.None);
                return request;
            });

            Assert.Equal(200, await HealthProbe.StatusAsync(path, TimeSpan.FromSeconds(60), CancellationToken.None));
            var sent = await server;
            Assert.StartsWith("GET /health HTTP/1.1\r\n", sent, StringComparison.Ordinal);
            Assert.Contains("\r\nConnection: close\r\n", sent, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StatusAsync_NobodyListening_IsZero()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmgw-probe-{Guid.NewGuid():N}.sock");
        Assert.Equal(0, await HealthProbe.StatusAsync(path, TimeSpan.FromSeconds(60), CancellationToken.None));
    }
}
