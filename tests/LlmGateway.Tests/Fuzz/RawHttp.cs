using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LlmGateway.Tests.Fuzz;

/// <summary>HTTP/1.1 over a bare socket, for framings HttpClient refuses to send (a Content-Length that lies).</summary>
internal static class RawHttp
{
    /// <param name="head">The request line and headers, without the blank line that ends them.</param>
    /// <param name="stopSending">
    /// Half-closes the connection after the body. Kestrel takes that for a client that left, and may answer nothing.
    /// </param>
    public static async Task<FuzzAnswer> SendAsync(Uri server, string head, byte[] body, bool stopSending, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\nConnection: close\r\n\r\n"), ct);
        try
        {
            await stream.WriteAsync(body, ct);
        }
        catch (IOException)
        {
            // The server may answer and close before reading a body it already refused.
        }

        if (stopSending)
        {
            client.Client.Shutdown(SocketShutdown.Send);
        }

        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, ct);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // A reset after the answer (the server closed with unread request bytes): the answer is what counts.
        }

        return Parse(answer.ToArray());
    }

    private static FuzzAnswer Parse(byte[] bytes)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var headers = Encoding.ASCII.GetString(bytes, 0, end < 0 ? bytes.Length : end);
        if (!headers.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || end < 0)
        {
            return new FuzzAnswer(0, headers);
        }

        var status = int.Parse(headers.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var body = bytes.AsSpan(end + 4);
        return new FuzzAnswer(status, Encoding.UTF8.GetString(
            headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Dechunk(body) : body));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> chunked)
    {
        using var result = new MemoryStream();
        while (chunked.Length > 0)
        {
            var line = chunked.IndexOf("\r\n"u8);
            if (line < 0 || !int.TryParse(Encoding.ASCII.GetString(chunked[..line]), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            var data = chunked[(line + 2)..];
            result.Write(data[..Math.Min(size, data.Length)]);
            chunked = data.Length >= size + 2 ? data[(size + 2)..] : [];
        }

        return result.ToArray();
    }
}
