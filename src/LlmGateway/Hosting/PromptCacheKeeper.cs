using System.Net.Sockets;
using System.Text.Json;
using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>Keeps a model's prompt cache across an unload: its slots are saved before the child stops and restored after the next load.</summary>
/// <remarks>
/// llama-server's own slot save and restore (--slot-save-path, POST /slots/N?action=save|restore): a long system prompt shared
/// by every request is then not prefilled again after a reload. Each call is on a connection of its own to the child's
/// socket, as the supervisor talks to a child that does not take requests yet (loading) or any more (stopping).
/// </remarks>
public sealed partial class PromptCacheKeeper(string directory, int slots, TimeProvider time, ILogger logger)
{
    /// <summary>Saving or restoring a slot writes or reads its KV cache: seconds for a large one on a slow disk, never minutes.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public string Directory => directory;

    /// <summary>Empties the directory: files of an earlier gateway may be of another model, and llama-server would restore them.</summary>
    public void Clear()
    {
        System.IO.Directory.CreateDirectory(directory);
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "slot-*.bin"))
        {
            File.Delete(file);
        }
    }

    public Task SaveAsync(LlamaServerEndpoint endpoint, string model, CancellationToken ct) => EachSlotAsync(endpoint, "save", model, ct);

    public Task RestoreAsync(LlamaServerEndpoint endpoint, string model, CancellationToken ct) => EachSlotAsync(endpoint, "restore", model, ct);

    private async Task EachSlotAsync(LlamaServerEndpoint endpoint, string action, string model, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, token) => ConnectAsync(endpoint.SocketPath, token) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var timer = time.CreateTimer(_ => timeout.Cancel(), null, Limit, Timeout.InfiniteTimeSpan);
        long tokens = 0;
        for (var slot = 0; slot < slots; slot++)
        {
            var file = $"slot-{slot}.bin";
            if (action == "restore" && !File.Exists(Path.Combine(directory, file)))
            {
                continue;
            }

            try
            {
                using var request = LlamaServerTransport.CreateRequest(endpoint, HttpMethod.Post, $"/slots/{slot}?action={action}");
                request.Content = JsonContent.Create(new { filename = file });
                using var response = await http.SendAsync(request, timeout.Token);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
                if (response.IsSuccessStatusCode && body.TryGetProperty(action == "save" ? "n_saved" : "n_restored", out var n))
                {
                    tokens += n.GetInt64();
                }
                else
                {
                    LogRefused(logger, model, action, slot, (int)response.StatusCode, body.ToString());
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !ct.IsCancellationRequested)
            {
                LogRefused(logger, model, action, slot, 0, e.Message);
            }
        }

        LogDone(logger, model, action == "save" ? "saved" : "restored", tokens, directory);
    }

    private static async ValueTask<Stream> ConnectAsync(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model}: prompt cache {Action}: {Tokens} tokens ({Directory})")]
    private static partial void LogDone(ILogger logger, string model, string action, long tokens, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model}: slot {Slot} could not {Action} its prompt cache ({Status}): {Detail}")]
    private static partial void LogRefused(ILogger logger, string model, string action, int slot, int status, string detail);
}
