using System.Net.Sockets;

namespace LlmGateway.Supervision;

/// <summary>One socket connected to llama-server ahead of time, for the next request that needs a new connection.</summary>
/// <remarks>
/// llama-server closes the connection after every stream, so without a spare each stream waits for a connect
/// and for llama-server to accept it and hand it to one of its HTTP threads. A spare is connected when one is
/// taken, so it is ready by the time the next stream comes. llama-server drops a connection that stays idle
/// for its keep-alive timeout (5 s); a spare it dropped reads as closed and is thrown away, so an idle gateway
/// keeps nothing alive and wakes nobody.
/// </remarks>
internal sealed class SpareSocket(Func<LlamaServerEndpoint, CancellationToken, Task<Socket>> connect) : IDisposable
{
    private Spare? _spare;
    private int _filling;
    private volatile bool _disposed;

    /// <summary>The spare if it belongs to this start of llama-server and is still open; null otherwise.</summary>
    public Socket? Take(LlamaServerEndpoint endpoint)
    {
        if (Interlocked.Exchange(ref _spare, null) is not { } spare)
        {
            return null;
        }

        if (spare.Generation == endpoint.Generation && IsIdleAndOpen(spare.Socket))
        {
            return spare.Socket;
        }

        spare.Socket.Dispose();
        return null;
    }

    /// <summary>Connects a new spare in the background unless one is there or on its way.</summary>
    /// <returns>The background work, which never fails: callers need not wait for it.</returns>
    public Task Fill(LlamaServerEndpoint endpoint) =>
        _disposed || Volatile.Read(ref _spare) is not null || Interlocked.Exchange(ref _filling, 1) == 1
            ? Task.CompletedTask
            : FillAsync(endpoint);

    /// <summary>Whether a spare is waiting (it may have been closed since).</summary>
    internal bool HasSpare => Volatile.Read(ref _spare) is not null;

    /// <summary>Throws the spare away (llama-server restarted or stops).</summary>
    public void Clear() => Interlocked.Exchange(ref _spare, null)?.Socket.Dispose();

    public void Dispose()
    {
        _disposed = true;
        Clear();
    }

    private async Task FillAsync(LlamaServerEndpoint endpoint)
    {
        try
        {
            var socket = await connect(endpoint, CancellationToken.None);
            if (_disposed || Interlocked.CompareExchange(ref _spare, new Spare(socket, endpoint.Generation), null) is not null)
            {
                socket.Dispose();
            }
            else if (_disposed)
            {
                Clear();
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // llama-server is gone or restarting: the next request connects itself and reports what it finds.
        }
        finally
        {
            Volatile.Write(ref _filling, 0);
        }
    }

    /// <summary>
    /// A connection nobody has sent a request on has nothing to read: readable means llama-server closed it
    /// (or sent something unasked, which would corrupt the next answer). Either way it is not usable.
    /// </summary>
    internal static bool IsIdleAndOpen(Socket socket)
    {
        try
        {
            return !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private sealed record Spare(Socket Socket, int Generation);
}
