using System.Net.Sockets;
using LlmGateway.Supervision;

namespace LlmGateway.Tests;

/// <summary>The connection kept ready for the next stream, against a real UNIX socket listener.</summary>
public sealed class SpareSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmgw-spare-").FullName;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly LlamaServerEndpoint _endpoint;
    private readonly SpareSocket _spare;

    public SpareSocketTests()
    {
        _endpoint = new LlamaServerEndpoint(Path.Combine(_dir, "llama.sock"), "key", Generation: 1);
        _listener.Bind(new UnixDomainSocketEndPoint(_endpoint.SocketPath));
        _listener.Listen();
        _spare = new SpareSocket(async (endpoint, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.SocketPath), ct);
            return socket;
        });
    }

    [Fact]
    public void Take_WithNothingFilled_IsNull() => Assert.Null(_spare.Take(_endpoint));

    [Fact]
    public async Task Take_AfterFill_GivesAnOpenConnectionToTheServer_Once()
    {
        await _spare.Fill(_endpoint);
        using var server = await _listener.AcceptAsync();

        using var client = _spare.Take(_endpoint);

        Assert.NotNull(client);
        await client.SendAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        Assert.Equal(4, await server.ReceiveAsync(buffer));
        Assert.Null(_spare.Take(_endpoint)); // taken: the next one needs a new Fill
    }

    [Fact]
    public async Task Take_OfASpareTheServerClosed_IsNull_AndItIsNotKept()
    {
        await _spare.Fill(_endpoint);
        using (await _listener.AcceptAsync())
        {
            // llama-server's keep-alive timeout: it closes the idle connection.
        }

        Assert.True(_spare.HasSpare);
        Assert.Null(_spare.Take(_endpoint));
        Assert.False(_spare.HasSpare);
    }

    [Fact]
    public async Task Take_ForAnotherStartOfLlamaServer_IsNull()
    {
        await _spare.Fill(_endpoint);
        using var server = await _listener.AcceptAsync();

        Assert.Null(_spare.Take(_endpoint with { Generation = 2 }));
        Assert.False(_spare.HasSpare);
    }

    [Fact]
    public async Task Clear_ThrowsTheSpareAway_AndTheServerSeesTheConnectionClose()
    {
        await _spare.Fill(_endpoint);
        using var server = await _listener.AcceptAsync();

        _spare.Clear();

        Assert.Null(_spare.Take(_endpoint));
        var received = server.ReceiveAsync(new byte[1]);
        Assert.Same(received, await Task.WhenAny(received, Task.Delay(Eventually.Ceiling)));
        Assert.Equal(0, await received); // end of stream: nothing leaks an open connection
    }

    [Fact]
    public async Task Fill_WhenTheServerIsGone_LeavesNoSpare_AndDoesNotThrow()
    {
        _listener.Dispose();
        File.Delete(_endpoint.SocketPath);

        await _spare.Fill(_endpoint);

        Assert.False(_spare.HasSpare);
        Assert.Null(_spare.Take(_endpoint));
    }

    public void Dispose()
    {
        _spare.Dispose();
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
