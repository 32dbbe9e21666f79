using System.Diagnostics.Metrics;
using LlmGateway.Cpu;
using LlmGateway.Memory;
using LlmGateway.Hosting;
using LlmGateway.Scoring;
using LlmGateway.Supervision;

namespace LlmGateway.Telemetry;

/// <summary>Instruments read at scrape time: windowed CPU and latency percentiles, the budget, the child's state and memory.</summary>
/// <remarks>
/// The percentiles are gauges because a dashboard reader wants "p99 CPU over the last minute" as a number,
/// not a histogram_quantile over buckets that cannot resolve 50 % from 52 %.
/// A hosted service only to be made when the host starts: after start-up validation, before the first scrape.
/// </remarks>
public sealed class ObservedMetrics : IHostedService
{
    private static readonly (string Name, TimeSpan Span)[] Windows = [("1m", TimeSpan.FromMinutes(1)), ("5m", TimeSpan.FromMinutes(5))];

    public ObservedMetrics(
        IMeterFactory meters, GatewayMetrics metrics, CpuSampler sampler, CpuGovernor governor, YieldController yield,
        ModelRegistry models, MemoryPlan memory, LiveScorecard scorecard, TimeProvider time)
    {
        var meter = meters.Create(GatewayMetrics.MeterName);
        // One series per configured model: the label is bounded by the configuration.
        IEnumerable<Measurement<T>> PerModel<T>(Func<ModelHost, T> value) where T : struct =>
            models.Hosts.Select(h => new Measurement<T>(value(h), new KeyValuePair<string, object?>("model", h.Id)));
        meter.CreateObservableGauge("llmgw_queue_length", () => PerModel(h => h.Admission.Waiting), "{request}", "Requests waiting for a slot of the model's llama-server");
        meter.CreateObservableGauge("llmgw_child_up", () => PerModel(h => h.State.IsReady ? 1 : 0), "1", "1 while the model's llama-server is ready");
        meter.CreateObservableGauge("llmgw_child_crash_loop", () => PerModel(h => h.State.Status == ChildStatus.Failed ? 1 : 0), "1", "1 when the model's llama-server failed for good (restarts stopped)");
        meter.CreateObservableCounter("llmgw_child_starts", () => PerModel(h => (long)h.State.Starts), "{start}", "Starts of the model's llama-server");
        meter.CreateObservableCounter("llmgw_child_restarts", () => PerModel(h => (long)h.Supervisor.Restarts), "{restart}", "Restarts of the model's llama-server after it exited or hung (loads on demand are llmgw_model_loads)");
        meter.CreateObservableGauge("llmgw_model_state", () => ModelStates(models), "1", "1 for the model's state now (label state: unloaded, loading, ready, unloading, failed), 0 for the others");
        meter.CreateObservableCounter("llmgw_model_cpu_seconds", () => models.Hosts
            .Select(h => (h.Id, Ns: governor.ReadUsage(h.Definition.Cpu)))
            .Where(x => x.Ns is not null)
            .Select(x => new Measurement<double>(x.Ns!.Value / 1e9, new KeyValuePair<string, object?>("model", x.Id))), "s", "CPU time the model's llama-server used (its own cgroup; every start of it); absent without per-model cgroups");
        meter.CreateObservableGauge("llmgw_model_memory_rss_bytes", () => models.Hosts
            .Select(h => (h.Id, Bytes: h.ResidentBytesNow))
            .Where(x => x.Bytes is not null)
            .Select(x => new Measurement<long>(x.Bytes!.Value, new KeyValuePair<string, object?>("model", x.Id))), "By", "The resident memory of the model's llama-server; absent while it is not loaded");
        meter.CreateObservableGauge("llmgw_model_estimated_bytes", () => PerModel(h => h.EstimatedBytes), "By", "What the memory budget counts for the model once loaded (its tensors, KV cache and buffers, or its measured RSS)");
        meter.CreateObservableGauge("llmgw_model_memory_budget_bytes", () => models.Room.BudgetBytes, "By", "The models' memory budget: Memory:BudgetBytes less Memory:ReserveBytes");
        meter.CreateObservableGauge("llmgw_model_requests_in_flight", () => PerModel(h => h.KeepAlive.InFlight), "{request}", "Requests routed to the model and not ended, waiting for its load included");
        meter.CreateObservableGauge("llmgw_child_memory_rss_bytes", () => sampler.ChildRssBytes, "By", "llama-server's resident memory");
        meter.CreateObservableGauge("llmgw_child_memory_peak_rss_bytes", () => sampler.PeakRssBytes, "By", "llama-server's highest resident memory seen");
        meter.CreateObservableGauge("llmgw_memory_budget_bytes", () => memory.BudgetBytes, "By", "The memory budget of the gateway and llama-server together (Memory:BudgetBytes)");
        meter.CreateObservableGauge("llmgw_gateway_memory_rss_bytes", () => Environment.WorkingSet, "By", "The gateway's own resident memory");
        meter.CreateObservableGauge("llmgw_child_prompt_cache_limit_bytes", () => memory.PromptCacheMib * (1L << 20), "By", "llama-server's prompt cache bound (--cache-ram), sized from the budget");
        meter.CreateObservableGauge("llmgw_child_memory_limit_bytes", () => MemoryLimits(governor), "By", "The cgroup's memory limits on llama-server (limit: soft, hard), when enforced");
        meter.CreateObservableGauge("llmgw_cpu_budget_ratio", () => governor.Plan.BudgetPercent / 100.0, "1", "The CPU budget, 0 to 1 of the machine");
        meter.CreateObservableGauge("llmgw_cpu_cap_ratio", () => governor.Plan.CapPercent is { } cap ? [new Measurement<double>(cap / 100)] : Array.Empty<Measurement<double>>(), "1", "The hard CPU cap, 0 to 1 of the machine");
        meter.CreateObservableCounter("llmgw_child_cpu_throttled_seconds", () => sampler.Confined?.ThrottledNanoseconds is { } ns ? [new Measurement<double>(ns / 1e9)] : Array.Empty<Measurement<double>>(), "s", "Time the kernel held llama-server back at its cap");
        meter.CreateObservableCounter("llmgw_child_cpu_throttled_periods", () => sampler.Confined?.ThrottledPeriods is { } p ? [new Measurement<long>(p)] : Array.Empty<Measurement<long>>(), "{period}", "Cap periods in which llama-server was throttled");
        meter.CreateObservableGauge("llmgw_child_cpu_wait_ratio", () => sampler.ChildWaitRatio is { } w ? [new Measurement<double>(w)] : Array.Empty<Measurement<double>>(), "1", "Share of the last second llama-server was runnable but not running: waiting for CPU");
        meter.CreateObservableGauge("llmgw_child_priority_idle", () => yield.Priority is { } p ? [new Measurement<int>(p == "idle" ? 1 : 0)] : Array.Empty<Measurement<int>>(), "1", "1 while llama-server runs at idle priority, 0 at normal; absent when the plan does not yield");
        meter.CreateObservableGauge("llmgw_requests_late", () => yield.Late, "{request}", "Requests waiting longer than Cpu:LatencyBudgetMilliseconds: llama-server runs at normal priority for them");
        meter.CreateObservableCounter("llmgw_child_priority_switches", () => yield.Switches, "{switch}", "Switches of llama-server between idle and normal priority");
        meter.CreateObservableGauge("llmgw_child_cpu_window_ratio", () => Cpu(sampler, child: true), "1", "llama-server's CPU over the window, 0 to 1 of the machine");
        meter.CreateObservableGauge("llmgw_system_cpu_window_ratio", () => Cpu(sampler, child: false), "1", "The machine's CPU over the window, 0 to 1");
        meter.CreateObservableGauge("llmgw_request_duration_window_seconds", () => Latency(metrics.Durations), "s", "Duration of the successful requests that ended within the window");
        meter.CreateObservableGauge("llmgw_time_to_first_token_window_seconds", () => Latency(metrics.FirstTokens), "s", "Time to first token of the successful requests that ended within the window");
        // One scorecard per scrape for the three gauges: each would otherwise copy and sort five minutes of samples.
        var card = new ScrapeScorecard(scorecard, time);
        meter.CreateObservableGauge("llmgw_scorecard_value", () => Score(card, l => l.Value), "1", "The live scorecard over 5 minutes: each figure (label figure; its unit is in its name)");
        meter.CreateObservableGauge("llmgw_scorecard_target", () => Score(card, l => l.Target), "1", "Each figure's target (section Targets)");
        meter.CreateObservableGauge("llmgw_scorecard_met", () => Score(card, l => l.Met is { } m ? (m ? 1 : 0) : null), "1", "1 when the figure met its target over 5 minutes, 0 when it did not; absent when not measured");
        meter.CreateObservableGauge("llmgw_latency_p99_p50_ratio", () => TailRatio(metrics.Durations), "1", "p99 over p50 of request duration in the window: the invisible target is under 2");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static readonly string[] States = ["unloaded", "loading", "ready", "unloading", "failed"];

    private static IEnumerable<Measurement<int>> ModelStates(ModelRegistry models) =>
        models.Hosts.SelectMany(h => States.Select(state => new Measurement<int>(
            h.State.ModelState == state ? 1 : 0, new KeyValuePair<string, object?>("model", h.Id), new KeyValuePair<string, object?>("state", state))));

    private static IEnumerable<Measurement<long>> MemoryLimits(CpuGovernor governor)
    {
        var (soft, hard, _) = MemoryReport.Limits(governor);
        if (soft is { } s)
        {
            yield return new(s, new KeyValuePair<string, object?>("limit", "soft"));
        }

        if (hard is { } h)
        {
            yield return new(h, new KeyValuePair<string, object?>("limit", "hard"));
        }
    }

    private static IEnumerable<Measurement<double>> Score(ScrapeScorecard card, Func<ScorecardLine, double?> pick) =>
        card.Get().Lines
            .Where(l => pick(l) is not null)
            .Select(l => new Measurement<double>(pick(l)!.Value, new KeyValuePair<string, object?>("figure", l.Figure)));

    /// <summary>The 5-minute scorecard, made again at most once a second: a scrape reads it for three gauges in a row.</summary>
    private sealed class ScrapeScorecard(LiveScorecard scorecard, TimeProvider time)
    {
        // A reference, written whole: two scrapes at once read one report or the other, never half of each.
        private volatile Made? _last;

        public ScorecardReport Get()
        {
            if (_last is { } last && time.GetElapsedTime(last.At) < TimeSpan.FromSeconds(1))
            {
                return last.Report;
            }

            var report = scorecard.Current(TimeSpan.FromMinutes(5));
            _last = new Made(time.GetTimestamp(), report);
            return report;
        }

        private sealed record Made(long At, ScorecardReport Report);
    }

    private static IEnumerable<Measurement<double>> Cpu(CpuSampler sampler, bool child) =>
        Windows.SelectMany(w => sampler.Statistics(w.Span, child) is { Samples: > 0 } s ? Stats(s, w.Name, 0.01) : []);

    private static IEnumerable<Measurement<double>> Latency(LatencyWindow window) =>
        Windows.SelectMany(w => window.Statistics(w.Span) is { } s ? Stats(s, w.Name, 1) : []);

    private static IEnumerable<Measurement<double>> TailRatio(LatencyWindow window) =>
        Windows.Select(w => (w.Name, Stats: window.Statistics(w.Span)))
            .Where(x => x.Stats is { P50: > 0 })
            .Select(x => new Measurement<double>(x.Stats!.P99 / x.Stats.P50, new KeyValuePair<string, object?>("window", x.Name)));

    private static IEnumerable<Measurement<double>> Stats(WindowStatistics s, string window, double scale)
    {
        KeyValuePair<string, object?> w = new("window", window);
        yield return new(s.Mean * scale, w, new("stat", "mean"));
        yield return new(s.P50 * scale, w, new("stat", "p50"));
        yield return new(s.P95 * scale, w, new("stat", "p95"));
        yield return new(s.P99 * scale, w, new("stat", "p99"));
        yield return new(s.Max * scale, w, new("stat", "max"));
    }
}
