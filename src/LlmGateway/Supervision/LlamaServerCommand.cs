using System.Globalization;
using LlmGateway.Cpu;
using LlmGateway.Memory;
using LlmGateway.Model;

namespace LlmGateway.Supervision;

/// <summary>The command line of one llama-server start, and where its binaries are.</summary>
public static class LlamaServerCommand
{
    /// <param name="slotSavePath">Where llama-server may save and restore its slots' prompt caches (--slot-save-path); null: nowhere.</param>
    /// <param name="group">The model's group: its threads are its share of the plan's; null: all of them.</param>
    public static IReadOnlyList<string> Arguments(
        LlamaServerOptions o, ServedModel model, LlamaServerEndpoint endpoint, CpuPlan cpu, MemoryPlan memory, string? slotSavePath = null, ChildGroup? group = null)
    {
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        List<string> args =
        [
            "--model", model.Path,
            "--alias", model.Id,
            "--host", endpoint.SocketPath, // a path ending in .sock makes llama-server listen on a UNIX socket
            "--api-key-file", endpoint.ApiKeyFile, // not --api-key: a command line is readable by every local user
            "--ctx-size", N(o.ContextSize),
            "--parallel", N(o.Parallel),
            "--metrics",
            "--slots",
            "--no-webui",
            // Both: prompt processing uses --threads-batch, and that is where the spikes came from.
            "--threads", N(group?.ThreadsOf(cpu.Threads) ?? cpu.Threads),
            "--threads-batch", N(group?.ThreadsOf(cpu.ThreadsBatch) ?? cpu.ThreadsBatch),
            // Explicit, and at least one for every connection the gateway may hold (LlamaServerConnection):
            // a connection beyond llama-server's fixed threads can wait seconds for one.
            "--threads-http", N(LlamaServerTransport.HttpThreads(o)),
            // Sized from Memory:BudgetBytes: llama-server's own default (8 GiB) grows past the whole budget.
            .. memory.ToArguments(),
        ];

        // Each only when set: empty leaves llama-server's own default, whatever its build says.
        if (o.BatchSize is { } batch)
        {
            args.AddRange(["--batch-size", N(batch)]);
        }

        if (o.MicroBatchSize is { } micro)
        {
            args.AddRange(["--ubatch-size", N(micro)]);
        }

        if (KvCacheType(o) is { } kv)
        {
            // A quantised V cache needs flash attention; llama-server's default (-fa auto) turns it on for one
            // (llama_init_from_model), and the validator refuses ExtraArguments that turn it off.
            args.AddRange(["--cache-type-k", kv, "--cache-type-v", kv]);
        }

        if (!o.CachePrompt)
        {
            args.Add("--no-cache-prompt");
        }

        if (o.Embeddings)
        {
            args.Add("--embeddings");
            // A generative model has no pooling of its own, and llama-server refuses OpenAI embeddings
            // without one; mean pooling unless the user chose another.
            if (!o.ExtraArguments.Contains("--pooling"))
            {
                args.AddRange(["--pooling", "mean"]);
            }
        }

        if (slotSavePath is not null)
        {
            args.AddRange(["--slot-save-path", slotSavePath]);
        }

        args.AddRange(o.ExtraArguments);
        return args;
    }

    /// <summary>LlamaServer:KvCacheType as llama-server spells it (lower case), or null when empty or not a type it accepts.</summary>
    public static string? KvCacheType(LlamaServerOptions o) =>
        string.IsNullOrWhiteSpace(o.KvCacheType) ? null
            : LlamaServerOptions.KvCacheTypes.FirstOrDefault(t => string.Equals(t, o.KvCacheType.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether the KV cache type is a quantised one (not f32, f16 or bf16).</summary>
    public static bool QuantisedKvCache(LlamaServerOptions o) => KvCacheType(o) is { } t && t is not ("f32" or "f16" or "bf16");

    /// <summary>The configured binary, else the newest pinned build in the cache, else llama-server on PATH.</summary>
    public static string? FindServer(LlamaServerOptions o) =>
        NonEmpty(o.ExecutablePath) ?? FindInCache("llama.cpp", Path.Combine("bin", "llama-server")) ?? FindOnPath("llama-server");

    /// <summary>The configured launcher, else the newest one in the cache; null runs llama-server directly.</summary>
    public static string? FindLauncher(LlamaServerOptions o) =>
        NonEmpty(o.LauncherPath) ?? FindInCache("launcher", "llmgw-launch");

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static string? FindInCache(string area, string relative)
    {
        var root = Environment.GetEnvironmentVariable("LLMGW_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "llmgateway");
        var dir = Path.Combine(root, area);
        return !Directory.Exists(dir) ? null : Directory.EnumerateDirectories(dir)
            .Select(d => Path.Combine(d, relative))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(d => new[] { Path.Combine(d, name), Path.Combine(d, name + ".exe") })
            .FirstOrDefault(File.Exists);
}
