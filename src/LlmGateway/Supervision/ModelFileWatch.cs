using LlmGateway.Gguf;

namespace LlmGateway.Supervision;

/// <summary>Notices when the model file is deleted or replaced, and when, after a crash loop, it is usable again.</summary>
/// <remarks>
/// llama-server maps the file: one deleted or renamed over while it runs keeps serving the copy it loaded, and only
/// its next start finds out. So the change is said at once (log and /ready), not when a crash reveals it. After a
/// crash loop the file is looked at every <see cref="LlamaServerOptions.ModelWatchIntervalSeconds"/> (only then:
/// a serving gateway looks at it on the liveness probe's wake-ups), and restarts resume once it has changed, stayed
/// the same for one more look (a copy in progress is not started) and reads as a GGUF file.
/// Size and modification time identify a version: cheap, and what a copy, a download or a rename changes.
/// </remarks>
internal sealed class ModelFileWatch(string path, TimeSpan interval, TimeProvider time)
{
    private Stamp? _loaded = Read(path);

    public string Path => path;

    /// <summary>The file llama-server is about to load: changes are measured from it.</summary>
    public void Loading() => _loaded = Read(path);

    /// <summary>What happened to the file since llama-server loaded it; null if nothing.</summary>
    public string? ChangeSinceLoad()
    {
        var now = Read(path);
        return now == _loaded ? null
            : now is null ? $"the model file {path} was deleted after llama-server loaded it"
            : $"the model file {path} was replaced after llama-server loaded it ({Describe(_loaded)} then, {Describe(now)} now)";
    }

    /// <summary>Why the file cannot be served, as far as the gateway can tell without llama-server; null if it looks fine.</summary>
    public string? Problem()
    {
        try
        {
            _ = GgufReader.Read(path);
            return null;
        }
        catch (Exception e) when (e is GgufFormatException or IOException or UnauthorizedAccessException)
        {
            return e is FileNotFoundException or DirectoryNotFoundException ? $"the model file {path} does not exist" : $"the model file {path} is not usable: {e.Message}";
        }
    }

    /// <summary>Waits until the file differs from what it is now, has settled, and reads as a GGUF file.</summary>
    /// <param name="stillBroken">Told why a changed file is still refused.</param>
    public async Task WaitUntilReplacedAsync(Action<string> stillBroken, CancellationToken ct)
    {
        var seen = Read(path);
        while (true)
        {
            await Task.Delay(interval, time, ct);
            var now = Read(path);
            if (now == seen || now is null)
            {
                seen = now;
                continue;
            }

            await Task.Delay(interval, time, ct);
            if (Read(path) != now)
            {
                continue; // still being written
            }

            seen = now;
            if (Problem() is { } problem)
            {
                stillBroken(problem);
                continue;
            }

            return;
        }
    }

    private static Stamp? Read(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? new Stamp(file.Length, file.LastWriteTimeUtc) : null;
    }

    private static string Describe(Stamp? s) => s is null ? "none" : $"{s.Length} bytes, modified {s.Modified:u}";

    private sealed record Stamp(long Length, DateTime Modified);
}
