using System.Text;
using System.Text.Json;
using LlmGateway.Cpu;
using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>One served model at run time: its supervisor and state, how requests reach it, its admission and keep-alive.</summary>
public sealed partial class ModelHost : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _lastStatus = (int)ChildStatus.Unloaded;

    /// <summary>A guess of what a model's llama-server holds beside its tensors and KV cache (compute buffers, code) before it was measured.</summary>
    private const long Overhead = 64L << 20;

    private readonly ModelRoom _room;
    private long _measuredBytes;

    public ModelHost(ModelDefinition definition, SupervisionContext context, QueueLimits queue, ModelRoom room)
    {
        Definition = definition;
        _room = room;
        _time = context.Time;
        _logger = context.Loggers.CreateLogger<ModelHost>();
        Store = new ChildStateStore();
        Transport = new LlamaServerTransport(Store, definition.Server.Parallel);
        PromptCache = definition.PromptCacheDirectory is { } directory
            ? new PromptCacheKeeper(directory, definition.Server.Parallel, context.Time, _logger)
            : null;
        Supervisor = new ModelSupervisor(definition.Model, definition.Server, definition.Memory, Store, context, definition.Cpu)
        {
            SlotSavePath = PromptCache?.Directory,
            BeforeReady = PromptCache is { } restore ? (endpoint, ct) => restore.RestoreAsync(endpoint, Id, ct) : null,
            // Not at shutdown: the directory goes with the gateway.
            BeforeStop = PromptCache is { } save ? (endpoint, reason) => reason is "idle" or "evicted" or "admin" ? save.SaveAsync(endpoint, Id, CancellationToken.None) : Task.CompletedTask : null,
        };
        Admission = new Admission(definition.Server.Parallel, queue, context.Time);
        KeepAlive = new KeepAlive(definition.KeepAlive, context.Time, () => _ = UnloadAsync("idle"), room.Changed);
        Store.Changed += OnStateChanged;
        Store.Changed += room.Changed;
    }

    public ModelDefinition Definition { get; }

    public string Id => Definition.Id;

    public ChildStateStore Store { get; }

    public ChildState State => Store.State;

    public LlamaServerTransport Transport { get; }

    public ModelSupervisor Supervisor { get; }

    public Admission Admission { get; }

    public KeepAlive KeepAlive { get; }

    /// <summary>Saves and restores the model's prompt cache across unloads (Models:KeepPromptCache); null when off.</summary>
    public PromptCacheKeeper? PromptCache { get; }

    /// <summary>
    /// What the model holds once loaded: its tensors, its KV cache and an overhead, or its llama-server's resident memory
    /// measured when it became ready, whichever is larger. What the memory budget counts.
    /// </summary>
    public long EstimatedBytes => Math.Max(Definition.Memory.ModelBytes + (Definition.Memory.KvCacheBytes ?? 0) + Overhead, Interlocked.Read(ref _measuredBytes));

    /// <summary>Whether its memory counts now: a child runs, starts, restarts or stops.</summary>
    public bool HoldsMemory => State.Status is ChildStatus.Starting or ChildStatus.Ready or ChildStatus.Restarting or ChildStatus.Stopping;

    /// <summary>The model as the memory budget sees it: idle and ready ones may be unloaded to make room.</summary>
    public Eviction.Resident AsResident() =>
        new(Id, EstimatedBytes, State.IsReady && KeepAlive.InFlight == 0, KeepAlive.LastActivity, _time.GetElapsedTime(KeepAlive.LastActivity));

    /// <summary>
    /// Loads the model unless it is loaded or loading, and waits up to <paramref name="wait"/> until it serves or fails for
    /// good. The state returned says which; not ready means the wait passed.
    /// </summary>
    public async Task<ChildState> AcquireAsync(TimeSpan wait, CancellationToken ct)
    {
        var state = State;
        if (state.IsReady || state.Status == ChildStatus.Failed)
        {
            return state;
        }

        if (state.Status is ChildStatus.Unloaded or ChildStatus.Stopping)
        {
            _room.RequestLoad(this); // once it fits beside the others, unloading idle ones first; it goes on if this request leaves
        }

        return await Store.WaitAsync(s => s.IsReady || s.Status == ChildStatus.Failed, wait, _time, ct);
    }

    /// <summary>Seconds a client turned away while the model loads should wait: what is left of its last load time (or a guess from its size).</summary>
    public int RetryAfterSeconds()
    {
        var expected = Supervisor.LastLoadTime ?? GuessLoadTime();
        var spent = Supervisor.LoadStartedAt is { } started ? _time.GetElapsedTime(started) : TimeSpan.Zero;
        return (int)Math.Clamp(Math.Ceiling((expected - spent).TotalSeconds), 1, 3600);
    }

    public Task UnloadAsync(string reason) => Supervisor.UnloadAsync(reason);

    public async ValueTask DisposeAsync()
    {
        await Supervisor.DisposeAsync();
        KeepAlive.Dispose();
        Transport.Dispose();
    }

    /// <summary>Before a first load: about a second, and a second more per GiB read from disk.</summary>
    private TimeSpan GuessLoadTime() => TimeSpan.FromSeconds(1 + (Definition.Model.Info.FileSize / (double)(1L << 30)));

    private void OnStateChanged()
    {
        var status = State.Status;
        var previous = Interlocked.Exchange(ref _lastStatus, (int)status);
        if ((ChildStatus)previous == status)
        {
            return;
        }

        if (status == ChildStatus.Ready)
        {
            if (ResidentBytesNow is { } rss)
            {
                Interlocked.Exchange(ref _measuredBytes, rss);
            }

            KeepAlive.Loaded();
            if (Definition.WarmupSystemPrompt is { } prompt)
            {
                _ = WarmUpAsync(prompt);
            }
        }
        else if (status is ChildStatus.Unloaded or ChildStatus.Stopping or ChildStatus.Failed)
        {
            KeepAlive.Stopped();
        }
    }

    /// <summary>The resident memory of the model's llama-server now; null while it has no process (or off Linux).</summary>
    public long? ResidentBytesNow => State.Pid is { } pid && OperatingSystem.IsLinux() ? LinuxProcStat.ResidentBytesOnce(pid) : null;

    /// <summary>The warm-up system prompt, once, so llama-server's prompt cache holds it before the first client sends it.</summary>
    private async Task WarmUpAsync(string prompt)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messages = new object[] { new { role = "system", content = prompt }, new { role = "user", content = "" } },
            max_tokens = 1,
            cache_prompt = true,
        });
        using var request = Transport.CreateRequest(HttpMethod.Post, "/v1/chat/completions");
        if (request is null)
        {
            return;
        }

        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5), _time);
            using var response = await Transport.Invoker.SendAsync(request, timeout.Token);
            LogWarmedUp(_logger, Id, (int)response.StatusCode, Encoding.UTF8.GetByteCount(prompt));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            LogWarmUpFailed(_logger, Id, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model}: warm-up system prompt ({Bytes} bytes) sent after the load: {Status}")]
    private static partial void LogWarmedUp(ILogger logger, string model, int status, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model}: the warm-up system prompt failed: {Reason}")]
    private static partial void LogWarmUpFailed(ILogger logger, string model, string reason);
}
