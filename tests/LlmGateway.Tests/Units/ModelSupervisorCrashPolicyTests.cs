using System.Threading.Channels;
using LlmGateway.Containment;
using LlmGateway.Cpu;
using LlmGateway.Gguf;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Tests.Units;

/// <summary>
/// The crash policy through the real <see cref="ModelSupervisor"/> on a fake clock: back-off between restarts, the crash
/// loop and its stickiness, unloads during a back-off or a load, and an operator's retry.
/// </summary>
/// <remarks>
/// Only the process is fake (<see cref="IProcessRunner"/>: it exits at once, or never becomes ready), and the
/// containment passes the spec through; the governor (Cpu:Backend None), yield policy, restart policy, model-file watch
/// and Polly's retry are the real ones. A child that exits at once is seen before /health is asked; one that never
/// becomes ready is asked on a socket path where nothing listens, which fails at once. A ready child needs a real
/// llama-server: SupervisionCrashLoopTests and SupervisionTests cover that end to end.
/// </remarks>
public sealed class ModelSupervisorCrashPolicyTests : IAsyncLifetime
{
    private const string Id = "crashy";
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HealthPoll = TimeSpan.FromMilliseconds(100);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("llmgw-crashpolicy-");
    private readonly TimerWatch _time = new();
    private readonly FakeRunner _runner = new();
    private readonly RecordingEvents _events = new();
    private readonly ChildStateStore _store = new();
    private readonly CpuGovernor _governor;
    private readonly YieldController _yield;
    private readonly string _modelPath;
    private ModelSupervisor _supervisor = null!;

    public ModelSupervisorCrashPolicyTests()
    {
        _modelPath = Path.Combine(_directory.FullName, "model.gguf");
        WriteModel("crashy model");
        _governor = new CpuGovernor(
            Options.Create(new CpuOptions { Backend = CpuBackendKind.None }), new ConfigurationBuilder().Build(), NullLogger<CpuGovernor>.Instance);
        _yield = new YieldController(_governor, _time, NullLogger<YieldController>.Instance);
    }

    private readonly LlamaServerOptions _settings = new()
    {
        ExecutablePath = "/bin/true", // found is all FindServer asks; the fake runner starts nothing
        RestartDelaySeconds = FirstDelay.TotalSeconds,
        MaxRestartDelaySeconds = 30,
        MaxCrashes = 3,
        CrashWindowSeconds = 60,
        StartTimeoutSeconds = 60,
        StopTimeoutSeconds = StopTimeout.TotalSeconds,
        ModelWatchIntervalSeconds = WatchInterval.TotalSeconds,
    };

    public Task InitializeAsync()
    {
        _supervisor = NewSupervisor(_settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _runner.ExitAll();
        await _supervisor.DisposeAsync().AsTask().WaitAsync(Eventually.Ceiling);
        _yield.Dispose();
        _governor.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task EachExit_IsFollowedByARestart_OnlyOnceTheClockPassesTheBackOff()
    {
        _runner.Next = Behaviour.ExitAtOnce;

        Assert.True(_supervisor.Load());
        var child = await _runner.UntilStartedAsync(1);
        Assert.Equal("/bin/true", child.Spec.Executable); // LlamaServer:ExecutablePath, passed through the containment
        await _time.UntilCreatedAsync(FirstDelay, 1, "the first back-off");
        var first = _store.State;
        Assert.Equal(ChildStatus.Restarting, first.Status);
        Assert.Equal(1, first.Crashes);
        Assert.Contains("exited with code 1 while loading", first.Reason, StringComparison.Ordinal);

        _time.Advance(FirstDelay - Tick);
        Assert.Equal(1, _runner.Starts);
        _time.Advance(Tick);
        await _runner.UntilStartedAsync(2);

        var second = TimeSpan.FromSeconds(2); // doubled for the second recent crash
        await _time.UntilCreatedAsync(second, 1, "the second back-off");
        Assert.Equal(2, _store.State.Crashes);
        _time.Advance(second - Tick);
        Assert.Equal(2, _runner.Starts);
        _time.Advance(Tick);
        await _runner.UntilStartedAsync(3);
        Assert.Equal(2, _supervisor.Restarts);
    }

    [Fact]
    public async Task MaxCrashesWithinTheWindow_Fails_NamingTheSetting_AndNothingStartsHoweverFarTheClockMoves()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();

        var failed = await CrashLoopAsync();

        Assert.Equal(3, failed.Crashes);
        Assert.Contains("LlamaServer:MaxCrashes", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("3 failures within 60 s", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("exited with code 1", failed.Reason, StringComparison.Ordinal);

        // Well past the crash window, one model-file look at a time: the loop watches the file and starts nothing.
        for (var look = 1; look <= 20; look++)
        {
            await _time.UntilCreatedAsync(WatchInterval, look, "the model file's next look");
            _time.Advance(WatchInterval);
        }

        await _time.UntilCreatedAsync(WatchInterval, 21, "the model file's next look");
        Assert.Equal(3, _runner.Starts);
        Assert.Equal(ChildStatus.Failed, _store.State.Status);
    }

    [Fact]
    public async Task AfterACrashLoop_AReplacedModelFile_StartsItAgain()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();
        await CrashLoopAsync();

        await _time.UntilCreatedAsync(WatchInterval, 1, "the model file's first look");
        WriteModel("a fixed crashy model"); // another size: another version
        _time.Advance(WatchInterval); // changed
        await _time.UntilCreatedAsync(WatchInterval, 2, "the look that checks the file has settled");
        _time.Advance(WatchInterval); // settled, and reads as GGUF

        await _runner.UntilStartedAsync(4);
        await _time.UntilCreatedAsync(FirstDelay, 2, "the back-off after the next crash");
        Assert.Equal(1, _store.State.Crashes); // counting started again
    }

    [Fact]
    public async Task UnloadAsync_DuringABackOff_EndsUnloaded_AndNothingStartsAfter()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();
        await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(FirstDelay, 1, "the first back-off");

        await _supervisor.UnloadAsync("admin").WaitAsync(Eventually.Ceiling);

        Assert.Equal(ChildStatus.Unloaded, _store.State.Status);
        Assert.Equal("admin", _store.State.Reason);
        Assert.Null(_store.Endpoint);
        Assert.Equal([(Id, "admin")], _events.Unloads);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, _runner.Starts);
        Assert.Equal(0, _time.Created(TimeSpan.FromSeconds(2))); // no second back-off either
    }

    [Fact]
    public async Task Load_WhileRestarting_DoesNotStartASecondLoop()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();
        await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(FirstDelay, 1, "the first back-off");

        Assert.False(_supervisor.Load());
        Assert.False(_supervisor.Load(retryFailed: true)); // restarting is not failed

        _time.Advance(FirstDelay);
        await _runner.UntilStartedAsync(2);
        await _time.UntilCreatedAsync(TimeSpan.FromSeconds(2), 1, "the second back-off");
        Assert.Equal(2, _runner.Starts);
    }

    [Fact]
    public async Task Load_AfterAnUnload_StartsAgain_WithTheCrashCountReset()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();
        await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(FirstDelay, 1, "the first back-off");
        await _supervisor.UnloadAsync("idle").WaitAsync(Eventually.Ceiling);

        Assert.True(_supervisor.Load());

        await _runner.UntilStartedAsync(2);
        await _time.UntilCreatedAsync(FirstDelay, 2, "the back-off after the new load's first crash");
        Assert.Equal(1, _store.State.Crashes);
    }

    [Fact]
    public async Task Load_OnAFailedModel_DoesNothing_UnlessRetryFailed()
    {
        _runner.Next = Behaviour.ExitAtOnce;
        _supervisor.Load();
        await CrashLoopAsync();

        Assert.False(_supervisor.Load());
        await _time.UntilCreatedAsync(WatchInterval, 1, "the model file's first look");
        _time.Advance(WatchInterval);
        await _time.UntilCreatedAsync(WatchInterval, 2, "the model file's second look");
        Assert.Equal(3, _runner.Starts);
        Assert.Equal(ChildStatus.Failed, _store.State.Status);

        Assert.True(_supervisor.Load(retryFailed: true));

        await _runner.UntilStartedAsync(4);
        await _time.UntilCreatedAsync(FirstDelay, 2, "the back-off after the retried load's first crash");
        Assert.Equal(1, _store.State.Crashes);
        Assert.Empty(_events.Unloads); // a retry is no unload
    }

    [Fact]
    public async Task AStartWithoutSignOfLife_IsKilledAfterStartTimeout_AndCountsAsACrash()
    {
        await _supervisor.DisposeAsync();
        _supervisor = NewSupervisor(With(o => o.StartTimeoutSeconds = 1));
        _runner.Next = Behaviour.NeverReady;
        _supervisor.Load();
        var child = await _runner.UntilStartedAsync(1);

        await _time.UntilCreatedAsync(HealthPoll, 1, "the first /health poll's pause");
        Assert.Equal(ChildStatus.Starting, _store.State.Status);
        Assert.False(child.Killed);
        _time.Advance(TimeSpan.FromSeconds(1) + HealthPoll); // past the start timeout at the next poll

        await _time.UntilCreatedAsync(FirstDelay, 1, "the back-off after the start timeout");
        Assert.True(child.Killed);
        Assert.Equal(ChildStatus.Restarting, _store.State.Status);
        Assert.Contains("LlamaServer:StartTimeoutSeconds", _store.State.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _store.State.Crashes);
    }

    [Fact]
    public async Task UnloadAsync_WhileLoading_AChildThatStopsOnSigint_IsNotKilled()
    {
        _runner.Next = Behaviour.NeverReady;
        _supervisor.Load();
        var child = await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(HealthPoll, 1, "the first /health poll's pause");

        await _supervisor.UnloadAsync("admin").WaitAsync(Eventually.Ceiling);

        Assert.True(child.Exited);
        Assert.False(child.Killed);
        Assert.Equal(ChildStatus.Unloaded, _store.State.Status);
        Assert.Equal("admin", _store.State.Reason);
    }

    /// <remarks>
    /// Before the fix the loop left at once and disposed the escalation; the fake clock then killed nothing. This test
    /// moves the clock right after the unload begins, so it catches that only when the loop has left by then (usual,
    /// not certain); on the fixed code it is deterministic: the kill is armed inside the unload's cancellation.
    /// </remarks>
    [Fact]
    public async Task UnloadAsync_WhileLoading_AChildThatIgnoresSigint_IsKilledAfterStopTimeout_BeforeTheStateSaysUnloaded()
    {
        _runner.Next = Behaviour.NeverReadyIgnoresSigint;
        _supervisor.Load();
        var child = await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(HealthPoll, 1, "the first /health poll's pause");
        bool? exitedWhenUnloaded = null;
        _store.Changed += () => exitedWhenUnloaded ??= _store.State.Status == ChildStatus.Unloaded ? child.Exited : null;

        var unload = _supervisor.UnloadAsync("admin"); // SIGINT now, the kill StopTimeout later
        _time.Advance(StopTimeout - Tick);
        Assert.False(child.Killed);
        _time.Advance(Tick);
        await unload.WaitAsync(Eventually.Ceiling);

        Assert.True(child.Killed, "the child that ignored SIGINT was not killed after LlamaServer:StopTimeoutSeconds");
        Assert.True(exitedWhenUnloaded, "the state said unloaded while the child still ran");
        Assert.Equal(ChildStatus.Unloaded, _store.State.Status);
    }

    /// <summary>Runs the three starts of a crash loop (each exit at once), moving the clock over each back-off; returns the failed state.</summary>
    private async Task<ChildState> CrashLoopAsync()
    {
        await _runner.UntilStartedAsync(1);
        await _time.UntilCreatedAsync(FirstDelay, 1, "the first back-off");
        _time.Advance(FirstDelay);
        await _runner.UntilStartedAsync(2);
        await _time.UntilCreatedAsync(TimeSpan.FromSeconds(2), 1, "the second back-off");
        _time.Advance(TimeSpan.FromSeconds(2));
        await _runner.UntilStartedAsync(3);
        return await _store.WaitAsync(s => s.Status == ChildStatus.Failed, Eventually.Ceiling, TimeProvider.System, CancellationToken.None);
    }

    private ModelSupervisor NewSupervisor(LlamaServerOptions options)
    {
        var model = ServedModel.Load(_modelPath, Id, []);
        var memory = MemoryPlanner.Plan(new MemoryOptions(), model.Info.FileSize, model.KvCache, options.ContextSize, options.Parallel, 8L << 30, null);
        var context = new SupervisionContext(
            _governor, _yield, new ChildProgress(_time), new DirectContainment(NullLogger<DirectContainment>.Instance), _runner, _events, NullLoggerFactory.Instance, _time);
        return new ModelSupervisor(model, options, memory, _store, context);
    }

    private LlamaServerOptions With(Action<LlamaServerOptions> change)
    {
        var options = _settings.For(null);
        change(options);
        return options;
    }

    private void WriteModel(string name) => new GgufWriter()
        .Add("general.architecture", GgufValue.String("llama"))
        .Add("general.name", GgufValue.String(name))
        .WriteTo(_modelPath);

    private enum Behaviour
    {
        /// <summary>Exits with code 1 as soon as it starts.</summary>
        ExitAtOnce,

        /// <summary>Runs without ever answering /health; SIGINT (the graceful token) stops it, as it does llama-server.</summary>
        NeverReady,

        /// <summary>Runs without ever answering /health and ignores SIGINT: only the kill (the forceful token) ends it.</summary>
        NeverReadyIgnoresSigint,
    }

    /// <summary>One process the fake runner "started"; its exit is cancelled when it is stopped, as CliWrap's is.</summary>
    private sealed class FakeProcess
    {
        private readonly TaskCompletionSource<ProcessExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _killed;

        public FakeProcess(ProcessSpec spec, Behaviour behaviour, CancellationToken forceful, CancellationToken graceful)
        {
            Spec = spec;
            if (behaviour == Behaviour.ExitAtOnce)
            {
                _exit.SetResult(new ProcessExit(1, TimeSpan.Zero));
                return;
            }

            forceful.Register(() =>
            {
                Interlocked.Exchange(ref _killed, 1);
                _exit.TrySetCanceled(forceful);
            });
            if (behaviour == Behaviour.NeverReady)
            {
                graceful.Register(() => _exit.TrySetCanceled(graceful));
            }
        }

        public ProcessSpec Spec { get; }

        public Task<ProcessExit> Exit => _exit.Task;

        public bool Exited => _exit.Task.IsCompleted;

        public bool Killed => Volatile.Read(ref _killed) == 1;

        public void End() => _exit.TrySetResult(new ProcessExit(0, TimeSpan.Zero));
    }

    private sealed class FakeRunner : IProcessRunner
    {
        private readonly Channel<FakeProcess> _started = Channel.CreateUnbounded<FakeProcess>();
        private readonly List<FakeProcess> _all = [];
        private int _starts;

        public Behaviour Next { get; set; }

        public int Starts => Volatile.Read(ref _starts);

        public RunningProcess Start(ProcessSpec spec, CancellationToken forceful, CancellationToken graceful)
        {
            var process = new FakeProcess(spec, Next, forceful, graceful);
            lock (_all)
            {
                _all.Add(process);
            }

            var n = Interlocked.Increment(ref _starts);
            _started.Writer.TryWrite(process);
            return new RunningProcess(4_000_000 + n, process.Exit); // above any real PID: nothing is signalled by mistake
        }

        /// <summary>Waits for the <paramref name="n"/>th start (each is awaited once, in order) and returns its process.</summary>
        public async Task<FakeProcess> UntilStartedAsync(int n)
        {
            using var ceiling = new CancellationTokenSource(Eventually.Ceiling);
            while (true)
            {
                FakeProcess process;
                try
                {
                    process = await _started.Reader.ReadAsync(ceiling.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Still waiting after {Eventually.Ceiling.TotalSeconds:0} s for start {n}; starts so far: {Starts}");
                }

                lock (_all)
                {
                    if (_all.IndexOf(process) == n - 1)
                    {
                        return process;
                    }
                }
            }
        }

        /// <summary>Ends every process still running, so the supervisor's disposal does not wait on a fake that ignores SIGINT.</summary>
        public void ExitAll()
        {
            lock (_all)
            {
                _all.ForEach(p => p.End());
            }
        }
    }

    private sealed class RecordingEvents : ISupervisionEvents
    {
        private readonly List<(string, string)> _unloads = [];

        public IReadOnlyList<(string Model, string Reason)> Unloads
        {
            get
            {
                lock (_unloads)
                {
                    return [.. _unloads];
                }
            }
        }

        public void Loaded(string model, TimeSpan loadTime)
        {
        }

        public void Unloaded(string model, string reason)
        {
            lock (_unloads)
            {
                _unloads.Add((model, reason));
            }
        }
    }
}
