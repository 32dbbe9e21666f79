using System.Globalization;
using System.Security.Cryptography;
using CliWrap;
using LlmGateway.Cpu;
using LlmGateway.Cpu.Backends;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LlmGateway.Supervision;

/// <summary>Starts llama-server, waits until it is ready, restarts it when it crashes, stops it with the gateway.</summary>
/// <remarks>
/// The child runs under native/launcher's llmgw-launch when it is available: the launcher holds a pipe
/// from the gateway and kills llama-server when that pipe closes, which the kernel does however the
/// gateway dies (even SIGKILL). Restarts back off exponentially; a crash loop stops them with the reason (<see cref="RestartPolicy"/>).
/// </remarks>
public sealed partial class LlamaServerSupervisor(
    LlamaServerConnection connection,
    ServedModel model,
    IOptions<LlamaServerOptions> options,
    CpuGovernor governor,
    YieldController yield,
    ChildProgress childProgress,
    MemoryPlan memory,
    GatewayMetrics metrics,
    ILoggerFactory loggers,
    TimeProvider time) : BackgroundService
{
    private const string LauncherPidPrefix = "llmgw-launch: child ";
    private const string TempPrefix = "llmgw-";

    private readonly LlamaServerOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger<LlamaServerSupervisor>();
    private readonly ILogger _childLogger = loggers.CreateLogger("LlmGateway.LlamaServer");
    private readonly RestartPolicy _restarts = new(options.Value, time);
    private readonly ModelFileWatch _modelFile = new(model.Path, TimeSpan.FromSeconds(options.Value.ModelWatchIntervalSeconds), time);
    private int _starts;

    // Windows has no launcher: a kill-on-close job ties the child's life to this process instead.
    // Shared with the Windows CPU backend, which puts its rate, affinity and priority on the same job.
    private readonly KillOnCloseJob? _job = OperatingSystem.IsWindows() ? KillOnCloseJob.Shared : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var server = LlamaServerCommand.FindServer(_options);
        if (server is null)
        {
            Fail("llama-server was not found: set LlamaServer:ExecutablePath, build it with native/build-llama.sh, or put it on PATH.", []);
            return;
        }

        SweepStaleDirectories();
        var launcher = LlamaServerCommand.FindLauncher(_options);
        if (launcher is null)
        {
            LogNoLauncher(_logger);
        }

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ChildExitedException>(),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(_restarts.NextDelay),
                OnRetry = args =>
                {
                    LogRestarting(_logger, args.RetryDelay.TotalSeconds, args.Outcome.Exception?.Message);
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
                    await pipeline.ExecuteAsync(ct => RunOnceAsync(server, launcher, ct), stoppingToken);
                }
                catch (CrashLoopException e)
                {
                    // The model file is the usual cause a user can fix without restarting the gateway: say so, and
                    // start again by itself once the file has been replaced.
                    var reason = _modelFile.Problem() is { } problem ? $"{problem}. {e.Message}" : e.Message;
                    Fail(reason, e.LastLines);
                    await _modelFile.WaitUntilReplacedAsync(p => Fail($"{p}. {e.Message}", e.LastLines), stoppingToken);
                    LogModelReplaced(_logger, _modelFile.Path);
                    _restarts.Reset();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            connection.Publish(connection.State with { Status = ChildStatus.Stopped, Reason = "the gateway is stopping" }, null);
        }
    }

    /// <summary>One life of the child: start, wait until ready, serve until it exits.</summary>
    private async ValueTask RunOnceAsync(string server, string? launcher, CancellationToken stoppingToken)
    {
        var generation = Interlocked.Increment(ref _starts);
        // 0700: only this user reaches the socket. Named after this gateway's PID so a later gateway can
        // remove what a killed one left behind.
        var directory = Directory.CreateTempSubdirectory($"{TempPrefix}{Environment.ProcessId}-");
        var endpoint = new LlamaServerEndpoint(
            Path.Combine(directory.FullName, "llama.sock"), Convert.ToHexString(RandomNumberGenerator.GetBytes(24)), generation);
        await File.WriteAllTextAsync(endpoint.ApiKeyFile, endpoint.ApiKey, stoppingToken);
        var tail = new OutputTail(_options.OutputLinesKept);
        var progress = new StartProgress(TimeSpan.FromSeconds(_options.StartTimeoutSeconds), time, childProgress);
        var pid = 0;
        Publish(ChildStatus.Starting, null, null, tail, endpoint);
        Confinement confinement;
        try
        {
            confinement = governor.Prepare(viaLauncher: launcher is not null);
        }
        catch (CpuBackendUnavailableException e)
        {
            TryDelete(directory);
            throw new CrashLoopException(e.Message, []); // a setting to fix, not a crash to retry
        }

        void OnLine(string line)
        {
            progress.Mark();
            if (line.StartsWith(LauncherPidPrefix, StringComparison.Ordinal))
            {
                if (int.TryParse(line.AsSpan(LauncherPidPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out pid))
                {
                    governor.Started(pid, confinement.LauncherArguments);
                    connection.Publish(connection.State with { Pid = pid }); // sampled while it loads
                }

                return;
            }

            tail.Add(line);
            LogChildOutput(_childLogger, line);
        }

        _modelFile.Loading();
        var serverArgs = LlamaServerCommand.Arguments(_options, model, endpoint, governor.Plan, memory);
        var stopMs = ((int)(_options.StopTimeoutSeconds * 1000)).ToString(CultureInfo.InvariantCulture);
        var command = (launcher is null
                ? Cli.Wrap(server).WithArguments(serverArgs)
                : Cli.Wrap(launcher).WithArguments(["--grace-ms", stopMs, .. confinement.LauncherArguments, "--", server, .. serverArgs]))
            .WithStandardInputPipe(PipeSource.Create(HoldOpenAsync))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnLine))
            .WithValidation(CommandResultValidation.None);

        // Stopping asks politely (SIGINT, which the launcher forwards); the kill follows after StopTimeout.
        using var stop = new StopEscalation(TimeSpan.FromSeconds(_options.StopTimeoutSeconds), time, stoppingToken);
        var started = time.GetTimestamp();
        try
        {
            var run = command.ExecuteAsync(stop.Forceful, stoppingToken);
            if (OperatingSystem.IsWindows())
            {
                _job?.Assign(run.ProcessId);
            }

            if (launcher is null)
            {
                pid = run.ProcessId;
                governor.Started(pid, confinement.LauncherArguments);
                connection.Publish(connection.State with { Pid = pid });
            }

            LogStarting(_logger, generation, server);

            var notReady = await WaitUntilReadyAsync(run.Task, endpoint, progress, stoppingToken);
            if (notReady is not null)
            {
                stop.KillNow();
                await Swallow(run.Task);
                throw Crashed($"llama-server did not start: {notReady}", tail);
            }

            LogReady(_logger, generation, pid, time.GetElapsedTime(started).TotalSeconds);
            metrics.ChildStarted(time.GetElapsedTime(started));
            Publish(ChildStatus.Ready, null, pid, tail, endpoint);
            yield.ChildReady();
            using var serving = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var hung = WatchAsync(endpoint, serving.Token);
            if (await Task.WhenAny(run.Task, hung) == hung && hung.IsCompletedSuccessfully)
            {
                // Stopped or stuck: SIGINT would wait for it to act, SIGKILL does not (and needs no SIGCONT).
                var reason = $"llama-server did not answer /health for {hung.Result.TotalSeconds:F1} s (LlamaServer:LivenessTimeoutSeconds), so it was killed";
                LogHung(_logger, pid, hung.Result.TotalSeconds);
                Publish(ChildStatus.Restarting, reason, pid, tail, null); // new requests get 503 now, not after the kill
                if (pid > 0)
                {
                    KillHard(pid);
                }
                else
                {
                    stop.KillNow(); // no PID known: kill what was started; the launcher's child dies with it
                }

                await Swallow(run.Task);
                throw Crashed(reason, tail);
            }

            serving.Cancel();
            var result = await run;
            throw Crashed($"llama-server exited with code {result.ExitCode} after {result.RunTime.TotalSeconds:F0} s", tail);
        }
        finally
        {
            yield.ChildExited();
            governor.Exited();
            TryDelete(directory);
        }
    }

    /// <summary>Polls /health until 200; null when ready, else why not.</summary>
    private async Task<string?> WaitUntilReadyAsync(Task<CommandResult> run, LlamaServerEndpoint endpoint, StartProgress progress, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (run.IsCompleted)
            {
                return $"it exited with code {(await Swallow(run))?.ExitCode.ToString(CultureInfo.InvariantCulture) ?? "unknown"} while loading";
            }

            var status = await HealthAsync(endpoint, ct);
            if (status == 200)
            {
                return null;
            }

            progress.HealthAnswered(status);
            if (progress.Stalled)
            {
                return $"no progress for {progress.Limit.TotalSeconds:F0} s (LlamaServer:StartTimeoutSeconds)";
            }

            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(100), time, ct));
        }
    }

    /// <summary>While the child serves: returns how long it was silent if it hangs; never returns otherwise.</summary>
    private Task<TimeSpan> WatchAsync(LlamaServerEndpoint endpoint, CancellationToken ct)
    {
        if (_options.LivenessIntervalSeconds == 0)
        {
            return new TaskCompletionSource<TimeSpan>().Task; // never: liveness is off
        }

        var probe = new LivenessProbe(TimeSpan.FromSeconds(_options.LivenessIntervalSeconds), TimeSpan.FromSeconds(_options.LivenessTimeoutSeconds), time);
        string? noted = null;
        void CheckModelFile()
        {
            var change = _modelFile.ChangeSinceLoad();
            // Still ready: the loaded copy serves. The reason says what the next start will find. Only a ready state
            // is amended, so a crash published meanwhile is never overwritten.
            if (change != noted && connection.State is { IsReady: true } state
                && connection.Replace(state, state with { Reason = change is null ? null : $"{change}; llama-server serves the copy it loaded, and its next start loads what is there then" }))
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

    private async Task<int> HealthAsync(LlamaServerEndpoint endpoint, CancellationToken ct, TimeSpan? limit = null)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUri, "/health"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limit ?? TimeSpan.FromSeconds(2));
            using var response = await connection.Invoker.SendAsync(request, timeout.Token);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return 0; // not listening yet
        }
    }

    /// <summary>Records a crash; past MaxCrashes within the window the loop is declared and restarts stop.</summary>
    private Exception Crashed(string reason, OutputTail tail)
    {
        var verdict = _restarts.Crashed();
        var lines = tail.Snapshot();
        LogCrashed(_logger, reason, string.Join('\n', lines.TakeLast(10)));
        if (verdict == CrashVerdict.CrashLoop)
        {
            return new CrashLoopException(
                $"{reason}; {_restarts.RecentCrashes} failures within {_options.CrashWindowSeconds:F0} s (LlamaServer:MaxCrashes), so it is not restarted again", lines);
        }

        Publish(ChildStatus.Restarting, reason, null, tail, null);
        return new ChildExitedException(reason);
    }

    private void Publish(ChildStatus status, string? reason, int? pid, OutputTail tail, LlamaServerEndpoint? endpoint) =>
        connection.Publish(new ChildState(status, reason, pid, _starts, _restarts.RecentCrashes, tail.Snapshot()), endpoint);

    private void Fail(string reason, IReadOnlyList<string> lines)
    {
        LogFailed(_logger, reason);
        connection.Publish(new ChildState(ChildStatus.Failed, reason, null, _starts, _restarts.RecentCrashes, lines), null);
    }

    /// <summary>The launcher's stdin: kept open and silent for the child's whole life; its EOF means the gateway died.</summary>
    private static async Task HoldOpenAsync(Stream stdin, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // The child exited; CliWrap closes the pipe.
        }
    }

    /// <summary>Removes the socket directories of gateways that no longer run (killed before they could clean up).</summary>
    private static void SweepStaleDirectories()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            var name = Path.GetFileName(directory);
            var pid = name[TempPrefix.Length..].Split('-')[0];
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && owner != Environment.ProcessId && !IsRunning(owner))
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

    private static async Task<CommandResult?> Swallow(Task<CommandResult> run)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting llama-server (start {Generation}): {Server}")]
    private static partial void LogStarting(ILogger logger, int generation, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "llama-server ready (start {Generation}, pid {Pid}) in {Seconds:F2} s")]
    private static partial void LogReady(ILogger logger, int generation, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason}. Its last lines:\n{Lines}")]
    private static partial void LogCrashed(ILogger logger, string reason, string lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting llama-server in {Seconds:F1} s: {Reason}")]
    private static partial void LogRestarting(ILogger logger, double seconds, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "llama-server (pid {Pid}) did not answer /health for {Seconds:F1} s: it hangs, and is killed")]
    private static partial void LogHung(ILogger logger, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Change}: llama-server keeps serving the copy it loaded; its next start loads what is there then")]
    private static partial void LogModelChanged(ILogger logger, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model file {Path} was replaced and reads as a GGUF file: starting llama-server again")]
    private static partial void LogModelReplaced(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "llama-server is not served: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "llmgw-launch was not found (LlamaServer:LauncherPath): llama-server runs directly, and would outlive a gateway killed with SIGKILL.")]
    private static partial void LogNoLauncher(ILogger logger);
}
