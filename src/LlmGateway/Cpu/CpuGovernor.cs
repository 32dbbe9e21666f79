using LlmGateway.Cpu.Backends;
using LlmGateway.Interop;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace LlmGateway.Cpu;

/// <summary>Holds the CPU plan, picks the backend that enforces it, and changes the cap while llama-server runs.</summary>
/// <remarks>
/// The backend is chosen at the first start, trying the best first (cgroup v2, v1, the scheduler on
/// Linux; the job object on Windows; cpulimit elsewhere) and keeping why the others were refused.
/// A backend named in Cpu:Backend is the only one tried: a user who asked for it gets it or an error.
/// </remarks>
public sealed partial class CpuGovernor : IChildPriority, IDisposable
{
    private readonly CpuOptions _options;
    private readonly ILogger<CpuGovernor> _logger;
    private readonly IDisposable? _reload;
    private readonly Lock _lock = new();
    private readonly List<Refusal> _refused = [];
    private ICpuBackend? _backend;
    private string? _backendKind;
    private IReadOnlyList<Enforcement> _parts = [];
    private readonly KillOnCloseJob? _windowsJob;
    private readonly HashSet<int> _pids = [];

    /// <param name="windowsJob">The gateway's kill-on-close job on Windows (registered in DI there), which the Windows backend limits.</param>
    public CpuGovernor(IOptions<CpuOptions> options, IConfiguration configuration, ILogger<CpuGovernor> logger, KillOnCloseJob? windowsJob = null)
    {
        _options = options.Value;
        _windowsJob = windowsJob;
        _logger = logger;
        Plan = CpuPlanner.Plan(_options, CpuTopology.AvailableCpus(), CpuTopology.CgroupLimitCores(_options.CgroupRoot));
        NextPlan = Plan;
        var section = configuration.GetSection(CpuOptions.Section);
        _reload = ChangeToken.OnChange(section.GetReloadToken, () => Reload(section));
    }

    /// <summary>The plan llama-server runs under now.</summary>
    public CpuPlan Plan { get; private set; }

    /// <summary>The plan of the next start: differs from <see cref="Plan"/> when a reload changed what needs a restart.</summary>
    public CpuPlan NextPlan { get; private set; }

    /// <summary>Sets up the backend for the next start of a child; its launch confinement goes to llmgw-launch (or, without it, <see cref="LateConfinement"/>).</summary>
    /// <remarks>Every model's child joins the same confinement (one budget, one cap over all of them), each in a group of its own where the backend has groups.</remarks>
    /// <param name="child">The model's group and weight; null joins the gateway's group itself.</param>
    public Confinement Prepare(ChildGroup? child = null)
    {
        lock (_lock)
        {
            // A new plan (reloaded settings) only between children: one that runs keeps the plan it started with.
            if (_pids.Count == 0)
            {
                Plan = NextPlan;
            }

            var first = _backend is null;
            if (_backend is null)
            {
                (_backend, _backendKind) = Choose();
            }

            var confinement = _backend.Prepare(Plan, child);
            _parts = [new("threads", $"llama-server --threads {Plan.Threads} --threads-batch {Plan.ThreadsBatch}"), .. confinement.Parts];
            if (child is { Weight: not ChildGroup.DefaultWeight } && !_parts.Any(p => p.Part == "weight"))
            {
                _parts = [.. _parts, new("weight", null, $"{child.Name}: weight {child.Weight} needs cgroups; {_backendKind} does not weigh models")];
            }
            if (first)
            {
                LogPlan(_logger, Plan.BudgetPercent, Plan.Cores, Plan.Profile, Plan.Mode, _backendKind!,
                    string.Join("; ", _parts.Select(p => $"{p.Part}: {p.By ?? "not enforced"}{(p.Note is null ? "" : $" ({p.Note})")}")));
                foreach (var r in _refused)
                {
                    LogRefused(_logger, r.Backend, r.Reason);
                }
            }

            return confinement with { Parts = _parts };
        }
    }

    /// <summary>A child runs as <paramref name="pid"/>.</summary>
    public void Started(int pid)
    {
        lock (_lock)
        {
            _pids.Add(pid);
            try
            {
                _backend?.Started(pid);
            }
            catch (Exception e)
            {
                LogBackendFailed(_logger, "start", e.Message); // a limiter's trouble must not take the gateway down
            }
        }
    }

    public void Exited(int pid)
    {
        lock (_lock)
        {
            _pids.Remove(pid);
            try
            {
                _backend?.Exited(pid);
            }
            catch (Exception e)
            {
                LogBackendFailed(_logger, "exit", e.Message);
            }
        }
    }

    /// <summary>A new cap for the running child (null: none). Returns null when applied, else why not.</summary>
    public string? SetCap(double? percent)
    {
        lock (_lock)
        {
            var plan = Plan with { CapPercent = percent >= 100 ? null : percent };
            if (_backend?.SetCap(plan) is { } refused)
            {
                return refused;
            }

            Plan = plan;
            NextPlan = NextPlan with { CapPercent = plan.CapPercent };
            _parts = [.. _parts.Where(p => p.Part != "cap"), new("cap", plan.CapPercent is null ? null : $"{_backendKind}: {plan.CapPercent:0.##} % set live", plan.CapPercent is null ? "removed live" : null)];
            LogCapChanged(_logger, plan.CapPercent?.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) ?? "none");
            return null;
        }
    }

    public string? SetIdle(bool idle)
    {
        lock (_lock)
        {
            if (_backend is null || _pids.Count == 0)
            {
                return "llama-server is not running";
            }

            try
            {
                // Every child: a cgroup backend switches the group at the first, a thread-level one needs each.
                var refusals = _pids.Select(pid => _backend.SetIdle(pid, idle)).OfType<string>().Distinct().ToList();
                return refusals.Count == 0 ? null : string.Join("; ", refusals);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return e.Message;
            }
        }
    }

    /// <summary>CPU one model's group used so far, in nanoseconds; null without per-model groups.</summary>
    public long? ReadUsage(ChildGroup child)
    {
        lock (_lock)
        {
            return _backend?.ReadUsage(child);
        }
    }

    public ConfinedUsage? ReadUsage()
    {
        lock (_lock)
        {
            return _backend?.ReadUsage();
        }
    }

    public CpuPlanReport Report()
    {
        lock (_lock)
        {
            var p = Plan;
            return new CpuPlanReport(p.Profile.ToString(), p.BudgetPercent, p.Mode.ToString(), p.Cores, p.Threads, p.ThreadsBatch, p.CpuListText,
                p.CapPercent, p.CapPeriodMicroseconds, p.Yield, p.MemoryHighBytes, p.MemoryMaxBytes,
                _backendKind, _parts, [.. _refused], NextPlan != Plan);
        }
    }

    public void Dispose()
    {
        _reload?.Dispose();
        _backend?.Dispose();
    }

    private (ICpuBackend, string) Choose()
    {
        foreach (var (kind, create) in Candidates())
        {
            ICpuBackend? backend = null;
            try
            {
                // Inside the try: a backend of another operating system refuses in its constructor.
                backend = create();
                backend.Prepare(Plan);
                return (backend, kind);
            }
            catch (CpuBackendUnavailableException e)
            {
                backend?.Dispose();
                _refused.Add(new Refusal(kind, e.Message));
                if (_options.Backend != CpuBackendKind.Auto)
                {
                    throw new CpuBackendUnavailableException($"Cpu:Backend {kind} cannot work here: {e.Message}");
                }
            }
        }

        return (new NoBackend(), nameof(CpuBackendKind.None));
    }

    private IEnumerable<(string Kind, Func<ICpuBackend> Create)> Candidates()
    {
        var root = _options.CgroupRoot;
        CpulimitCap? Cpulimit() => CpulimitCap.Find() is { } exe ? new CpulimitCap(exe, _logger) : null;
        var all = new (CpuBackendKind Kind, bool Here, Func<ICpuBackend> Create)[]
        {
            (CpuBackendKind.CgroupV2, OperatingSystem.IsLinux(), () => new CgroupV2Backend(root)),
            (CpuBackendKind.CgroupV1, OperatingSystem.IsLinux(), () => new CgroupV1Backend(root)),
            (CpuBackendKind.Scheduler, OperatingSystem.IsLinux(), () => new SchedulerBackend(Cpulimit())),
            (CpuBackendKind.WindowsJob, OperatingSystem.IsWindows(), WindowsBackend),
            (CpuBackendKind.Cpulimit, !OperatingSystem.IsWindows() && !OperatingSystem.IsLinux(), () => new CpulimitBackend(Cpulimit(), _logger)),
            (CpuBackendKind.None, true, () => new NoBackend()),
        };
        return _options.Backend == CpuBackendKind.Auto
            ? all.Where(c => c.Here).Select(c => (c.Kind.ToString(), c.Create))
            : all.Where(c => c.Kind == _options.Backend).Select(c => (c.Kind.ToString(), c.Here ? c.Create : () => throw new CpuBackendUnavailableException("not on this operating system")));
    }

    private ICpuBackend WindowsBackend() => OperatingSystem.IsWindows() && _windowsJob is not null
        ? new WindowsJobBackend(_windowsJob)
        : throw new CpuBackendUnavailableException("job objects are Windows'");

    /// <summary>Configuration reloaded: a new cap applies at once, threads and CPUs at the next start.</summary>
    private void Reload(IConfigurationSection section)
    {
        var options = new CpuOptions();
        section.Bind(options);
        if (new CpuOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            LogReloadRejected(_logger, invalid.FailureMessage);
            return;
        }

        var next = CpuPlanner.Plan(options, CpuTopology.AvailableCpus(), CpuTopology.CgroupLimitCores(options.CgroupRoot));
        lock (_lock)
        {
            if (next.CapPercent != Plan.CapPercent || next.CapPeriodMicroseconds != Plan.CapPeriodMicroseconds)
            {
                var capPlan = Plan with { CapPercent = next.CapPercent, CapPeriodMicroseconds = next.CapPeriodMicroseconds };
                if (_backend?.SetCap(capPlan) is null)
                {
                    Plan = capPlan;
                }
            }

            NextPlan = next;
            if (next with { CapPercent = Plan.CapPercent, CapPeriodMicroseconds = Plan.CapPeriodMicroseconds } != Plan)
            {
                LogRestartNeeded(_logger);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CPU plan: {Budget} % of {Cores} cores ({Profile}, {Mode}) by {Backend}: {Parts}")]
    private static partial void LogPlan(ILogger logger, int budget, double cores, CpuProfile profile, CpuMode mode, string backend, string parts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CPU backend {Backend} is not available: {Reason}")]
    private static partial void LogRefused(ILogger logger, string backend, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "CPU backend failed at the child's {Moment}: {Reason}")]
    private static partial void LogBackendFailed(ILogger logger, string moment, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "CPU cap changed live to {Cap} %")]
    private static partial void LogCapChanged(ILogger logger, string cap);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloaded Cpu settings are invalid and were ignored: {Reason}")]
    private static partial void LogReloadRejected(ILogger logger, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloaded Cpu settings change threads, CPUs or priority: they apply when llama-server next starts")]
    private static partial void LogRestartNeeded(ILogger logger);
}

/// <summary>A backend that was tried and could not work here.</summary>
public sealed record Refusal(string Backend, string Reason);

/// <summary>The plan as served by GET /admin/cpu/plan.</summary>
public sealed record CpuPlanReport(
    string Profile,
    int BudgetPercent,
    string Mode,
    double Cores,
    int Threads,
    int ThreadsBatch,
    string Cpus,
    double? CapPercent,
    int CapPeriodMicroseconds,
    bool Yield,
    long? MemoryHighBytes,
    long? MemoryMaxBytes,
    string? Backend,
    IReadOnlyList<Enforcement> Enforcement,
    IReadOnlyList<Refusal> Unavailable,
    bool RestartPending);
