using System.Net.Sockets;
using System.Text;

namespace LlmGateway.Supervision;

/// <summary>One GET /health to llama-server on a connection of its own, closed after the answer.</summary>
/// <remarks>
/// The liveness probe runs every few seconds for as long as the gateway lives, so what it costs an idle machine
/// counts. Sent through the pool, each probe left a kept-alive connection behind, and llama-server's HTTP library
/// checks a kept-alive connection every 10 ms until it has been idle for 5 s: 135 wake-ups of llama-server and
/// about 15 ms of the gateway's CPU a probe, which took the idle pair over its 0.3 % target
/// (docs/benchmarks/idle-cost.md). A connection that llama-server closes after the answer costs it about 4
/// wake-ups, and the gateway a few system calls. /health needs no key.
/// </remarks>
internal static class HealthProbe
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: llama-server\r\nConnection: close\r\n\r\n");

    /// <summary>The HTTP status llama-server answered, or 0 if it did not answer within <paramref name="limit"/>.</summary>
    public static async Task<int> StatusAsync(string socketPath, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token);
            await socket.SendAsync(Request, SocketFlags.None, timeout.Token);
            // The status line is all that is needed: "HTTP/1.1 200 OK".
            var buffer = new byte[64];
            var read = 0;
            while (read < 12)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return ParseStatus(buffer.AsSpan(0, read));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>The status code of an HTTP/1.x status line, or 0 if <paramref name="head"/> does not start with one.</summary>
    public static int ParseStatus(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head.StartsWith("HTTP/1."u8) && head[8] == (byte)' '
        && int.TryParse(Encoding.ASCII.GetString(head.Slice(9, 3)), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            ? status
            : 0;
}
