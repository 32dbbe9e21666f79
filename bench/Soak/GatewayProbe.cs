using System.Text.Json;

namespace Soak;

/// <summary>The gateway's own answers about itself: the model id, and llama-server's state and pid from /ready.</summary>
public sealed class GatewayProbe(HttpClient http)
{
    public async Task<string> ModelIdAsync()
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        return doc.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    /// <summary>("ready", pid) while llama-server serves; another status and maybe no pid while it restarts.</summary>
    public async Task<(string Status, int? Pid)> ReadyAsync(CancellationToken ct = default)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await http.GetAsync("/ready", cts.Token);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
            var root = doc.RootElement;
            var pid = root.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : (int?)null;
            return (root.GetProperty("status").GetString() ?? "?", pid);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            return ("unreachable", null);
        }
    }
}
