using System.Security.Cryptography;
using LlmGateway.Containment;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;
using LlmGateway.Memory;
using LlmGateway.Model;
using Polly;
using Polly.Retry;

namespace LlmGateway.Supervision;

/// <summary>One model's llama-server: started on <see cref="Load"/>, watched and restarted while it should run, stopped on <see cref="UnloadAsync"/>.</summary>
/// <remarks>
/// The launch is data (<see cref="ProcessSpec"/>) wrapped by the platform's <see cref="IChildContainment"/> and started by
/// one <see cref="IProcessRunner"/>. The policies are small types on <see cref="TimeProvider"/>: <see cref="RestartPolicy"/>
/// (back-off, crash loop), <see cref="StartProgress"/>, <see cref="StopEscalation"/>, <see cref="LivenessProbe"/>.
/// The state goes to the model's <see cref="ChildStateStore"/>; how requests reach the child is another type's job.
/// </remarks>
public sealed partial class ModelSupervisor : IAsyncDisposable
{
    private const string TempPrefix = "llmgw-";

    private readonly ServedModel _model;
    private readonly LlamaServerOptions _options;
    private readonly MemoryPlan _memory;
    private readonly ChildStateStore _store;
    private readonly ChildGroup _group;
    private readonly SupervisionContext _context;
    private readonly ILogger _logger;
    private readonly ILogger _childLogger;
    private readonly RestartPolicy _restarts;
    private readonly ModelFileWatch _modelFile;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _run;
    private CancellationTokenSource? _retried; // a failed loop that Load(retryFailed) replaced: it ends quietly
    private Task _loop = Task.CompletedTask;
    private string _stopReason = "unloaded";
    private int _starts;
    private int _restartCount;

    /// <param name="group">The model's group in the CPU confinement; null: one named after the model, with the default weight.</param>
    public ModelSupervisor(ServedModel model, LlamaServerOptions options, MemoryPlan memory, ChildStateStore store, SupervisionContext context, ChildGroup? group = null)
    {
        _group = group ?? ChildGroup.For(0, model.Id);
        _model = model;
        _options = options;
        _memory = memory;
        _store = store;
        _context = context;
        _logger = context.Loggers.CreateLogger<ModelSupervisor>();
        _childLogger = context.Loggers.CreateLogger("LlmGateway.LlamaServer");
        _restarts = new RestartPolicy(options, context.Time);
        _modelFile = new ModelFileWatch(model.Path, TimeSpan.FromSeconds(options.ModelWatchIntervalSeconds), context.Time);
    }

    public ChildState State => _store.State;

    /// <summary>Starts after a crash or a hang since the gateway started (not loads on demand).</summary>
    public int Restarts => Volatile.Read(ref _restartCount);

    /// <summary>Where this model's llama-server saves and restores its slots (--slot-save-path); null: nowhere.</summary>
    public string? SlotSavePath { get; init; }

    /// <summary>
    /// Run once a start answers /health, before the state says ready: so requests find what it sets up (a restored prompt
    /// cache). Its failures are its own to log; the start goes on.
    /// </summary>
    public Func<LlamaServerEndpoint, CancellationToken, Task>? BeforeReady { get; init; }

    /// <summary>Run when a ready child is unloaded, before it is asked to stop (it takes no request meanwhile): the reason is given.</summary>
    public Func<LlamaServerEndpoint, string, Task>? BeforeStop { get; init; }

    /// <summary>How long the last start took to answer /health; null before the first.</summary>
    public TimeSpan? LastLoadTime { get; private set; }

    /// <summary>When the current load began (for how long a waiting client has yet to wait); null when not loading.</summary>
    public long? LoadStartedAt { get; private set; }

    /// <summary>Starts the model's child unless it runs (or is being started) already. Returns true when this call started it.</summary>
    /// <param name="retryFailed">Also start it again when it failed for good (an operator's explicit load).</param>
    public bool Load(bool retryFailed = false)
    {
        lock (_lock)
        {
            // Only an unloaded model starts (or a failed one, when asked): any other state has its loop running already.
            var status = _store.State.Status;
            if (!(status is ChildStatus.Unloaded or ChildStatus.Stopping && _run is null) && !(retryFailed && status == ChildStatus.Failed))
            {
                return false;
            }

            if (_run is { } failed)
            {
                _retried = failed;
                failed.Cancel();
            }

            var previous = _loop;
            _run = new CancellationTokenSource();
            _restarts.Reset();
            LoadStartedAt = _context.Time.GetTimestamp();
            // Said at once, so a caller reads "loading" on return; the loop publishes the details when it starts the child.
            // Said before the loop starts: said after, it could overwrite what the loop published meanwhile (a restart's
            // back-off, or a failure, which would then read "loading" for good).
            _store.Publish(_store.State with { Status = ChildStatus.Starting, Reason = null });
            _loop = RunAsync(previous, _run);
            return true;
        }
    }

    /// <summary>Stops the child and returns once it is gone, its memory returned; the state says <paramref name="reason"/>.</summary>
    public async Task UnloadAsync(string reason)
    {
        CancellationTokenSource? run;
        Task loop;
        LlamaServerEndpoint? serving = null;
        lock (_lock)
        {
            (run, loop) = (_run, _loop);
            _run = null;
            _stopReason = reason;
            if (run is not null)
            {
                serving = _store.State.IsReady ? _store.Endpoint : null;
                // Said at once, before the child is gone: no new request is sent to it, and one that comes now loads the
                // model again once this child has exited.
                _store.Publish(_store.State with { Status = ChildStatus.Stopping, Reason = reason }, null);
            }
        }

        if (run is null)
        {
            return;
        }

        if (serving is not null && BeforeStop is { } beforeStop)
        {
            await beforeStop(serving, reason);
        }

        using var stopping = _context.Yield.ChildStopping(); // a yielding child gets the CPU to exit, within the cap
        run.Cancel(); // at once, on this thread: the stop (SIGINT, then the kill's timer) begins before this returns
        await loop;
        run.Dispose();
    }

    public async ValueTask DisposeAsync() => await UnloadAsync("the gateway is stopping");

    /// <summary>The life of the model while it should run: start, serve, restart after a crash, wait out a crash loop.</summary>
    private async Task RunAsync(Task previous, CancellationTokenSource run)
    {
        await previous; // a child being unloaded is gone before the next one starts: one state, one process at a time
        await Task.Yield(); // the caller of Load returns at once
        var stopping = run.Token;
        var server = LlamaServerCommand.FindServer(_options);
        if (server is null)
        {
            Fail("llama-server was not found: set LlamaServer:ExecutablePath, build it with native/build-llama.sh, or put it on PATH.", []);
            return;
        }

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _context.Time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ChildExitedException>(),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(_restarts.NextDelay),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _restartCount);
                    LogRestarting(_logger, _model.Id, args.RetryDelay.TotalSeconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        try
        {
            while (true)
            {
                try
                {
                    await pipeline.ExecuteAsync(ct => RunOnceAsync(server, ct), stopping);
                }
                catch (CrashLoopException e)
                {
                    // The model file is the usual cause a user can fix without restarting the gateway: say so, and
                    // start again by itself once the file has been replaced.
                    var reason = _modelFile.Problem() is { } problem ? $"{problem}. {e.Message}" : e.Message;
                    Fail(reason, e.LastLines);
                    await _modelFile.WaitUntilReplacedAsync(p => Fail($"{p}. {e.Message}", e.LastLines), stopping);
                    LogModelReplaced(_logger, _modelFile.Path);
                    _restarts.Reset();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (_retried is { } retried && retried.Token == stopping)
                {
                    // Replaced by a retry, not unloaded: the next loop publishes its start; no "unloaded" between.
                    _retried = null;
                    retried.Dispose();
                    return;
                }

                // A load asked for meanwhile has said "loading" already, and its loop starts once this one ends.
                if (_run is null)
                {
                    LoadStartedAt = null;
                    _store.Publish(_store.State with { Status = ChildStatus.Unloaded, Reason = _stopReason, Pid = null }, null);
                }
            }

            LogUnloaded(_logger, _model.Id, _stopReason);
            _context.Events.Unloaded(_model.Id, _stopReason);
        }
        catch (Exception e)
        {
            // A bug or the system (no temporary directory, no memory): said and logged, never a loop that died unseen.
            Fail($"its supervisor failed: {e.GetType().Name}: {e.Message}", []);
            LogSupervisorFailed(_logger, _model.Id, e);
        }
    }

    /// <summary>One life of the child: start, wait until ready, serve until it exits.</summary>
    private async ValueTask RunOnceAsync(string server, CancellationToken stopping)
    {
        var (governor, yield, time) = (_context.Governor, _context.Yield, _context.Time);
        var generation = Interlocked.Increment(ref _starts);
        // 0700: only this user reaches the socket. Named after this gateway's PID so a later gateway can
        // remove what a killed one left behind.
        var directory = Directory.CreateTempSubdirectory($"{TempPrefix}{Environment.ProcessId}-");
        var endpoint = new LlamaServerEndpoint(
            Path.Combine(directory.FullName, "llama.sock"), Convert.ToHexString(RandomNumberGenerator.GetBytes(24)), generation);
        await File.WriteAllTextAsync(endpoint.ApiKeyFile, endpoint.ApiKey, stopping);
        var tail = new OutputTail(_options.OutputLinesKept);
        var progress = new StartProgress(TimeSpan.FromSeconds(_options.StartTimeoutSeconds), time, _context.Progress);
        var pid = 0;
        var launched = 0;
        var ready = false;
        Publish(ChildStatus.Starting, null, null, tail, endpoint);
        Confinement confinement;
        try
        {
            confinement = governor.Prepare(_group);
        }
        catch (CpuBackendUnavailableException e)
        {
            TryDelete(directory);
            throw new CrashLoopException(e.Message, []); // a setting to fix, not a crash to retry
        }

        void Started(int childPid)
        {
            pid = childPid;
            governor.Started(pid);
            _store.Publish(_store.State with { Pid = pid }); // sampled while it loads
        }

        void OnLine(string line)
        {
            progress.Mark();
            if (_context.Containment.TryReadChildPid(line, out var childPid))
            {
                Started(childPid);
                return;
            }

            tail.Add(line);
            LogChildOutput(_childLogger, line);
        }

        _modelFile.Loading();
        var spec = _context.Containment.Wrap(
            new ProcessSpec(server, LlamaServerCommand.Arguments(_options, _model, endpoint, governor.Plan, _memory, SlotSavePath, _group)) { OnOutputLine = OnLine },
            confinement.Launch,
            TimeSpan.FromSeconds(_options.StopTimeoutSeconds));

        // Stopping asks politely (SIGINT, which the launcher forwards); the kill follows after StopTimeout.
        using var stop = new StopEscalation(TimeSpan.FromSeconds(_options.StopTimeoutSeconds), time, stopping);
        var started = time.GetTimestamp();
        yield.ChildStarting();
        try
        {
            var run = _context.Runner.Start(spec, stop.Forceful, stopping);
            launched = run.ProcessId;
            _context.Containment.Adopt(run, confinement.Launch, _group);
            if (!_context.Containment.ConfinesFromStart)
            {
                Started(run.ProcessId);
            }

            LogStarting(_logger, _model.Id, generation, server);

            string? notReady;
            try
            {
                notReady = await WaitUntilReadyAsync(run.Exit, endpoint, progress, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Unloaded while loading: the child has SIGINT. Leaving now would dispose the escalation before its kill
                // and say "unloaded" while the child still runs; so wait for it to go, killed StopTimeout later if need be.
                await Swallow(run.Exit);
                throw;
            }

            if (notReady is not null)
            {
                stop.KillNow();
                await Swallow(run.Exit);
                throw Crashed($"llama-server did not start: {notReady}", tail);
            }

            if (BeforeReady is { } beforeReady)
            {
                await beforeReady(endpoint, stopping);
            }

            var loadTime = time.GetElapsedTime(started);
            LogReady(_logger, _model.Id, generation, pid, loadTime.TotalSeconds);
            LastLoadTime = loadTime;
            LoadStartedAt = null;
            _context.Events.Loaded(_model.Id, loadTime);
            Publish(ChildStatus.Ready, null, pid, tail, endpoint);
            ready = true;
            yield.ChildReady();
            using var serving = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var hung = WatchAsync(endpoint, serving.Token);
            if (await Task.WhenAny(run.Exit, hung) == hung && hung.IsCompletedSuccessfully)
            {
                // Stopped or stuck: SIGINT would wait for it to act, SIGKILL does not (and needs no SIGCONT).
                var reason = $"llama-server did not answer /health for {hung.Result.TotalSeconds:F1} s (LlamaServer:LivenessTimeoutSeconds), so it was killed";
                LogHung(_logger, _model.Id, pid, hung.Result.TotalSeconds);
                Publish(ChildStatus.Restarting, reason, pid, tail, null); // new requests get 503 now, not after the kill
                if (pid > 0)
                {
                    KillHard(pid);
                }
                else
                {
                    stop.KillNow(); // no PID known: kill what was started; the launcher's child dies with it
                }

                await Swallow(run.Exit);
                throw Crashed(reason, tail);
            }

            serving.Cancel();
            var exit = await run.Exit;
            LoadStartedAt = time.GetTimestamp();
            throw Crashed($"llama-server exited with code {exit.ExitCode} after {exit.RunTime.TotalSeconds:F0} s", tail);
        }
        finally
        {
            if (pid > 0 && pid != launched)
            {
                // The launcher is gone (it exits with its child, or was killed at StopTimeout): llama-server, no longer
                // its child, is killed too if it still runs, and waited for, so "unloaded" means its memory is back.
                await EnsureGoneAsync(pid);
            }

            yield.ChildExited(ready);
            if (pid > 0)
            {
                governor.Exited(pid);
            }

            TryDelete(directory);
        }
    }

    /// <summary>Polls /health until 200; null when ready, else why not.</summary>
    private async Task<string?> WaitUntilReadyAsync(Task<ProcessExit> run, LlamaServerEndpoint endpoint, StartProgress progress, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (run.IsCompleted)
            {
                return $"it exited with code {(await Swallow(run))?.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} while loading";
            }

            var status = await HealthProbe.StatusAsync(endpoint.SocketPath, TimeSpan.FromSeconds(2), ct);
            if (status == 200)
            {
                return null;
            }

            progress.HealthAnswered(status);
            if (progress.Stalled)
            {
                return $"no progress for {progress.Limit.TotalSeconds:F0} s (LlamaServer:StartTimeoutSeconds)";
            }

            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(100), _context.Time, ct));
        }
    }

    /// <summary>While the child serves: returns how long it was silent if it hangs; never returns otherwise.</summary>
    private Task<TimeSpan> WatchAsync(LlamaServerEndpoint endpoint, CancellationToken ct)
    {
        if (_options.LivenessIntervalSeconds == 0)
        {
            return new TaskCompletionSource<TimeSpan>().Task; // never: liveness is off
        }

        var probe = new LivenessProbe(TimeSpan.FromSeconds(_options.LivenessIntervalSeconds), TimeSpan.FromSeconds(_options.LivenessTimeoutSeconds), _context.Time);
        string? noted = null;
        void CheckModelFile()
        {
            var change = _modelFile.ChangeSinceLoad();
            // Still ready: the loaded copy serves. The reason says what the next start will find. Only a ready state
            // is amended, so a crash published meanwhile is never overwritten.
            if (change != noted && _store.State is { IsReady: true } state
                && _store.Replace(state, state with { Reason = change is null ? null : $"{change}; llama-server serves the copy it loaded, and its next start loads what is there then" }))
            {
                noted = change;
                if (change is not null)
                {
                    LogModelChanged(_logger, change);
                }
            }
        }

        return probe.WaitUntilHungAsync(async (timeout, token) => await HealthProbe.StatusAsync(endpoint.SocketPath, timeout, token) == 200, CheckModelFile, ct);
    }

    /// <summary>Kills <paramref name="pid"/> if it still runs and waits (at most StopTimeoutSeconds more) until it is gone or a zombie.</summary>
    private async Task EnsureGoneAsync(int pid)
    {
        if (Gone(pid))
        {
            return;
        }

        LogOutlived(_logger, _model.Id, pid);
        KillHard(pid);
        var since = _context.Time.GetTimestamp();
        while (!Gone(pid) && _context.Time.GetElapsedTime(since) < TimeSpan.FromSeconds(Math.Max(1, _options.StopTimeoutSeconds)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _context.Time);
        }
    }

    /// <summary>Gone, or dead and not yet reaped (a zombie holds no memory).</summary>
    private static bool Gone(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return true;
            }
        }

        return !IsRunning(pid);
    }

    private static void KillHard(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(); // SIGKILL on Unix, TerminateProcess on Windows
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone: its exit is what the caller waits for next.
        }
    }

    /// <summary>Records a crash; past MaxCrashes within the window the loop is declared and restarts stop.</summary>
    private Exception Crashed(string reason, OutputTail tail)
    {
        var verdict = _restarts.Crashed();
        var lines = tail.Snapshot();
        LogCrashed(_logger, _model.Id, reason, string.Join('\n', lines.TakeLast(10)));
        if (verdict == CrashVerdict.CrashLoop)
        {
            return new CrashLoopException(
                $"{reason}; {_restarts.RecentCrashes} failures within {_options.CrashWindowSeconds:F0} s (LlamaServer:MaxCrashes), so it is not restarted again", lines);
        }

        Publish(ChildStatus.Restarting, reason, null, tail, null);
        return new ChildExitedException(reason);
    }

    private void Publish(ChildStatus status, string? reason, int? pid, OutputTail tail, LlamaServerEndpoint? endpoint) =>
        _store.Publish(new ChildState(status, reason, pid, _starts, _restarts.RecentCrashes, tail.Snapshot()), endpoint);

    private void Fail(string reason, IReadOnlyList<string> lines)
    {
        LoadStartedAt = null;
        LogFailed(_logger, _model.Id, reason);
        _store.Publish(new ChildState(ChildStatus.Failed, reason, null, _starts, _restarts.RecentCrashes, lines), null);
    }

    /// <summary>Removes the socket directories of gateways that no longer run (killed before they could clean up).</summary>
    public static void SweepStaleDirectories()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            var name = Path.GetFileName(directory);
            var pid = name[TempPrefix.Length..].Split('-')[0];
            if (int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var owner)
                && owner != Environment.ProcessId && !IsRunning(owner))
            {
                TryDelete(new DirectoryInfo(directory));
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<ProcessExit?> Swallow(Task<ProcessExit> run)
    {
        try
        {
            return await run;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held or not ours; the system cleans its temporary directory in time.
        }
    }

    private sealed class ChildExitedException(string message) : Exception(message);

    private sealed class CrashLoopException(string message, IReadOnlyList<string> lastLines) : Exception(message)
    {
        public IReadOnlyList<string> LastLines { get; } = lastLines;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogChildOutput(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting llama-server for {Model} (start {Generation}): {Server}")]
    private static partial void LogStarting(ILogger logger, string model, int generation, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "llama-server for {Model} ready (start {Generation}, pid {Pid}) in {Seconds:F2} s")]
    private static partial void LogReady(ILogger logger, string model, int generation, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "llama-server for {Model} stopped: {Reason}")]
    private static partial void LogUnloaded(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model}: {Reason}. Its last lines:\n{Lines}")]
    private static partial void LogCrashed(ILogger logger, string model, string reason, string lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting llama-server for {Model} in {Seconds:F1} s: {Reason}")]
    private static partial void LogRestarting(ILogger logger, string model, double seconds, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "llama-server for {Model} (pid {Pid}) did not answer /health for {Seconds:F1} s: it hangs, and is killed")]
    private static partial void LogHung(ILogger logger, string model, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Change}: llama-server keeps serving the copy it loaded; its next start loads what is there then")]
    private static partial void LogModelChanged(ILogger logger, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model file {Path} was replaced and reads as a GGUF file: starting llama-server again")]
    private static partial void LogModelReplaced(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "llama-server for {Model} (pid {Pid}) outlived its launcher: killed")]
    private static partial void LogOutlived(ILogger logger, string model, int pid);

    [LoggerMessage(Level = LogLevel.Error, Message = "The supervisor of {Model} failed")]
    private static partial void LogSupervisorFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Model} is not served: {Reason}")]
    private static partial void LogFailed(ILogger logger, string model, string reason);
}
