// A bare reverse proxy to llama-server's UNIX socket: BareProxy <socket> <api key> <url to listen on>.
// Also GET /ping, a constant answer, for the floor of Kestrel alone.
// Streams ask for Connection: close, as the gateway does, because llama-server closes after each stream.
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: BareProxy <llama-server socket> <api key> <url>");
    return 2;
}

var (socketPath, apiKey, url) = (args[0], args[1], args[2]);
using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    UseCookies = false,
    ConnectCallback = async (_, ct) =>
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
        return new NetworkStream(socket, ownsSocket: true);
    },
});

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(url);
var app = builder.Build();
// bench/kestrel-floor.sh: the least Kestrel answers, against nginx's "return 200".
app.MapGet("/ping", () => "ok");
app.MapPost("/v1/chat/completions", async context =>
{
    using var body = new MemoryStream();
    bool streaming;
    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
    using (var json = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length)))
    {
        streaming = json.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
    }

    using var request = new HttpRequestMessage(HttpMethod.Post, "http://llama-server/v1/chat/completions")
    {
        Version = System.Net.HttpVersion.Version11,
        Content = new ByteArrayContent(body.ToArray()),
    };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    request.Headers.ConnectionClose = streaming;

    using var response = await invoker.SendAsync(request, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    await using var upstream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
    var buffer = new byte[16 * 1024];
    int read;
    while ((read = await upstream.ReadAsync(buffer, context.RequestAborted)) > 0)
    {
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
    }
});
app.Run();
return 0;
