namespace LlmGateway.Supervision;

/// <summary>Section "LlamaServer": how the child is started and watched.</summary>
public sealed class LlamaServerOptions
{
    public const string Section = "LlamaServer";

    /// <summary>The llama-server binary. Empty: the pinned build in the cache, else llama-server on PATH.</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>native/launcher's llmgw-launch, which kills the child when the gateway dies. Empty: found in the cache.</summary>
    public string? LauncherPath { get; set; }

    public int ContextSize { get; set; } = 4096;

    /// <summary>llama-server slots (--parallel): requests decoded at once. Admission lets this many in.</summary>
    public int Parallel { get; set; } = 1;

    /// <summary>
    /// llama-server's fixed HTTP threads (--threads-http). 0: Parallel + 6, one for every connection the gateway
    /// may hold (Parallel + 4), its spare, and one to spare. Raise it only when other clients share llama-server.
    /// </summary>
    public int HttpThreads { get; set; }

    /// <summary>llama-server's logical batch (--batch-size): prompt tokens handed to the model at once. Empty: llama-server's default, 2048.</summary>
    public int? BatchSize { get; set; }

    /// <summary>
    /// llama-server's physical batch (--ubatch-size): tokens computed in one pass, at most <see cref="BatchSize"/>; its
    /// compute buffers grow with it. Empty: llama-server's default, 512.
    /// </summary>
    public int? MicroBatchSize { get; set; }

    /// <summary>
    /// The KV cache's element type, for keys and values both (--cache-type-k, --cache-type-v): one of
    /// <see cref="KvCacheTypes"/>. A quantised type (q8_0 and smaller) roughly halves the cache or better, and makes
    /// llama-server turn flash attention on, which a quantised V cache needs. Empty: llama-server's default, f16.
    /// </summary>
    public string? KvCacheType { get; set; }

    /// <summary>Whether llama-server reuses a slot's cached prompt prefix (false passes --no-cache-prompt).</summary>
    public bool CachePrompt { get; set; } = true;

    /// <summary>The KV cache types the pinned llama-server accepts (its --help).</summary>
    public static readonly IReadOnlyList<string> KvCacheTypes = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"];

    /// <summary>Serve /v1/embeddings (--embeddings).</summary>
    public bool Embeddings { get; set; }

    /// <summary>Appended to llama-server's command line as they are, for experts.</summary>
    public string[] ExtraArguments { get; set; } = [];

    /// <summary>How long loading may go without progress (new output, a health change, or CPU time spent) before the start fails.</summary>
    public double StartTimeoutSeconds { get; set; } = 60;

    /// <summary>How long a stopping child gets between the polite signal and the kill.</summary>
    public double StopTimeoutSeconds { get; set; } = 5;

    /// <summary>Crashes tolerated within <see cref="CrashWindowSeconds"/> before restarting stops.</summary>
    public int MaxCrashes { get; set; } = 5;

    public double CrashWindowSeconds { get; set; } = 300;

    /// <summary>First restart delay; doubles per recent crash up to <see cref="MaxRestartDelaySeconds"/>.</summary>
    public double RestartDelaySeconds { get; set; } = 0.5;

    public double MaxRestartDelaySeconds { get; set; } = 30;

    /// <summary>Lines of the child's output kept for error reports.</summary>
    public int OutputLinesKept { get; set; } = 50;

    /// <summary>How often a ready llama-server's /health is asked (and the model file looked at). 0 turns the liveness check off.</summary>
    /// <remarks>
    /// Each probe keeps llama-server's HTTP thread polling its connection every 10 ms for seconds: at 5 s the idle
    /// cost of gateway and child together rose from 0.07 % to about 0.47 % of a core, at 15 s it is about 0.2 %
    /// (docs/benchmarks/idle-cost.md), within the 0.3 % target.
    /// </remarks>
    public double LivenessIntervalSeconds { get; set; } = 15;

    /// <summary>How long a ready llama-server may go without answering /health before it is taken as hung and killed.</summary>
    /// <remarks>
    /// Generous by default: with Cpu:Mode Yield llama-server runs only on CPU nobody else wants, and a machine busy
    /// with other work can starve its HTTP threads for a while without anything being wrong.
    /// </remarks>
    public double LivenessTimeoutSeconds { get; set; } = 30;

    /// <summary>How often, once restarts stopped, the model file is looked at to see whether it was replaced.</summary>
    public double ModelWatchIntervalSeconds { get; set; } = 2;

    /// <summary>These settings with one model's own ContextSize, Parallel and ExtraArguments (appended) over them.</summary>
    public LlamaServerOptions For(Model.ModelEntry? entry)
    {
        var o = (LlamaServerOptions)MemberwiseClone();
        if (entry is null)
        {
            return o;
        }

        o.ContextSize = entry.ContextSize ?? ContextSize;
        o.Parallel = entry.Parallel ?? Parallel;
        o.ExtraArguments = [.. ExtraArguments, .. entry.ExtraArguments];
        return o;
    }
}
