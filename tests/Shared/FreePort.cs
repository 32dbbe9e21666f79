using System.Net;
using System.Net.Sockets;

namespace LlmGateway.Tests;

/// <summary>A loopback port nothing listens on now, for a child process that cannot listen on port 0 and say which it got.</summary>
/// <remarks>The port is free when returned, not reserved: another process may take it first, which a start then reports.</remarks>
internal static class FreePort
{
    public static int Loopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
