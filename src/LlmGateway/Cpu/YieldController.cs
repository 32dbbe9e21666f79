namespace LlmGateway.Cpu;

/// <summary>Yield, but never starve: idle priority while nothing waits; normal priority, within the cap, while loading and while a request is late.</summary>
/// <remarks>
/// Idle priority alone made "invisible" mean "unavailable whenever the user is busy": with two CPU-bound
/// processes on two cores, an idle-priority llama-server never finished loading, and every request waited
/// for CPU nobody gave up. The cap, not the priority, is what keeps the foreground's loss within the budget,
/// so the priority may rise while someone waits: the machine then loses at most the budget, and only then.
/// A request is late once it has waited Cpu:LatencyBudgetMilliseconds since it arrived (queueing included);
/// the priority drops back as soon as no late request is left. Strict yield (-1) keeps the old behaviour.
/// </remarks>
public sealed partial class YieldController : IDisposable
{
    private readonly IChildPriority _priority;
    private readonly TimeProvider _time;
    private readonly ILogger<YieldController> _logger;
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private readonly List<Demand> _outstanding = [];
    private bool _childReady;
    private int _loading;
    private int _ready;
    private bool? _idle; // what the child runs at now; null: as it started (normal, unless strict)
    private string? _lastFailure;
    private long _switches;

    public YieldController(IChildPriority priority, TimeProvider time, ILogger<YieldController> logger)
    {
        _priority = priority;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(_ => Evaluate(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>What the child runs at: "normal", "idle", or null when the plan does not yield.</summary>
    public string? Priority
    {
        get
        {
            var plan = _priority.Plan;
            lock (_lock)
            {
                return !plan.Yield ? null : (_idle ?? plan.YieldsFromStart) ? "idle" : "normal";
            }
        }
    }

    /// <summary>Requests now running or queued that have waited past the latency budget.</summary>
    public int Late
    {
        get
        {
            lock (_lock)
            {
                return _outstanding.Count(IsLate);
            }
        }
    }

    /// <summary>How often the priority was switched while the child ran.</summary>
    public long Switches => Interlocked.Read(ref _switches);

    /// <summary>A request arrived; dispose the result when it has its answer (or gave up).</summary>
    public IDisposable Begin()
    {
        var demand = new Demand(this, _time.GetTimestamp());
        lock (_lock)
        {
            _outstanding.Add(demand);
        }

        Evaluate();
        return demand;
    }

    /// <summary>
    /// A child (one model's) starts loading: the confinement it joins was set to the start priority, and loading runs at
    /// normal priority (unless strict), so every child does until none loads.
    /// </summary>
    public void ChildStarting()
    {
        lock (_lock)
        {
            _loading++;
            _childReady = false;
            _idle = null;
        }
    }

    /// <summary>A child is loaded and serving: once none loads, the children yield while nothing is late.</summary>
    public void ChildReady()
    {
        lock (_lock)
        {
            _loading = Math.Max(0, _loading - 1);
            _ready++;
            _childReady = _loading == 0;
        }

        Evaluate();
    }

    /// <summary>A child is gone; a next one starts at its start priority (normal, unless strict).</summary>
    /// <param name="wasReady">Whether it had been ready (else it died loading).</param>
    public void ChildExited(bool wasReady = true)
    {
        lock (_lock)
        {
            if (wasReady)
            {
                _ready = Math.Max(0, _ready - 1);
            }
            else
            {
                _loading = Math.Max(0, _loading - 1);
            }

            _childReady = _loading == 0 && _ready > 0;
            _idle = null;
        }

        Evaluate();
    }

    public void Dispose() => _timer.Dispose();

    private void End(Demand demand)
    {
        lock (_lock)
        {
            _outstanding.Remove(demand);
        }

        Evaluate();
    }

    private bool IsLate(Demand d) => _time.GetElapsedTime(d.Arrived) >= Budget;

    private TimeSpan Budget => TimeSpan.FromMilliseconds(Math.Max(0, _priority.Plan.LatencyBudgetMilliseconds));

    /// <summary>Decides the priority from the state, applies it when it changed, and wakes up when the next request turns late.</summary>
    private void Evaluate()
    {
        var plan = _priority.Plan;
        if (!plan.Yield || plan.YieldsFromStart)
        {
            return; // nothing to switch: the priority was set at the start and stays
        }

        lock (_lock)
        {
            if (!_childReady)
            {
                return; // loading runs at normal priority, within the cap: a start that waits for CPU would never end
            }

            var late = _outstanding.Any(IsLate);
            var idle = !late;
            if (_idle != idle)
            {
                var failure = _priority.SetIdle(idle);
                if (failure is null)
                {
                    _idle = idle;
                    Interlocked.Increment(ref _switches);
                    LogSwitched(_logger, idle ? "idle" : "normal", _outstanding.Count);
                }
                else if (failure != _lastFailure)
                {
                    _lastFailure = failure;
                    LogCannotSwitch(_logger, idle ? "idle" : "normal", failure);
                }
            }

            // The next moment a request still on time turns late.
            var waiting = _outstanding.Where(d => !IsLate(d)).Select(d => Budget - _time.GetElapsedTime(d.Arrived)).DefaultIfEmpty(Timeout.InfiniteTimeSpan).Min();
            _timer.Change(waiting == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : waiting + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
    }

    private sealed class Demand(YieldController owner, long arrived) : IDisposable
    {
        private int _ended;

        public long Arrived { get; } = arrived;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                owner.End(this);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "llama-server now at {Priority} priority ({Outstanding} requests in flight or queued)")]
    private static partial void LogSwitched(ILogger logger, string priority, int outstanding);

    [LoggerMessage(Level = LogLevel.Warning, Message = "llama-server's priority cannot be switched to {Priority}: {Reason}")]
    private static partial void LogCannotSwitch(ILogger logger, string priority, string reason);
}
