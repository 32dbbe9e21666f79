using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Cli.Report;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// Runs a candidate on the real gateway: starts it with the candidate's settings, waits for /ready, replays the workload
/// through <see cref="ReportRunner"/> (stopping once <see cref="HardTargetWatch"/> says so), scores it, stops the gateway.
/// </summary>
/// <param name="report">The report's options; the URL is each candidate's gateway, the rest (workload, targets, quiet period) is the same for all.</param>
/// <param name="fixedSettings">Settings every candidate's gateway gets under its own (llama-server's path, API keys).</param>
/// <param name="settle">How long a ready gateway is left alone before the quiet period (after the report's first requests): its start-up (JIT, the first health probes) is not idle cost.</param>
/// <param name="startTimeout">How long a gateway may take to become ready (loading the model included).</param>
public sealed class GatewayCandidateRunner(
    string gatewayDll, ReportOptions report, IProgress<ReportPhase> progress, TimeSpan startTimeout, IReadOnlyList<KeyValuePair<string, string>> fixedSettings,
    TimeSpan settle)
    : ICandidateRunner
{
    /// <summary>LlamaServer:ContextSize and Parallel as the gateway defaults them (docs/configuration.md), unless --set or the environment sets them.</summary>
    private int Setting(string name, int fallback) =>
        int.TryParse(fixedSettings.LastOrDefault(s => s.Key == name).Value ?? Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public async Task<Candidate> PlanAsync(string model, CancellationToken cancellationToken)
    {
        // The gateway's own defaults: the model and nothing about the CPU, so the planner decides (GatewayInstance drops Cpu__ variables).
        await using var gateway = GatewayInstance.Start(gatewayDll, [.. fixedSettings, new("Model__Path", model)]);
        progress.Report(new ReportPhase("planner's plan", 0, 1));
        await gateway.WaitUntilReadyAsync(startTimeout, cancellationToken);
        using var http = new HttpClient { BaseAddress = gateway.Url };
        var plan = await http.GetFromJsonAsync<JsonElement>("admin/cpu/plan", cancellationToken);
        progress.Report(new ReportPhase("planner's plan", 1, 1));
        return new Candidate(
            model,
            plan.GetProperty("budget_percent").GetInt32(),
            plan.GetProperty("mode").GetString()!,
            plan.GetProperty("threads").GetInt32(),
            plan.GetProperty("threads_batch").GetInt32(),
            plan.GetProperty("cap_period_microseconds").GetInt32(),
            Setting("LlamaServer__ContextSize", 4096),
            Setting("LlamaServer__Parallel", 1));
    }

    public async Task<CandidateResult> RunAsync(Candidate candidate, HardTargetWatch watch, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var gateway = GatewayInstance.Start(gatewayDll, [.. fixedSettings, .. candidate.Settings()]);
        try
        {
            await gateway.WaitUntilReadyAsync(startTimeout, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            return Failed(candidate, e.Message, clock.Elapsed.TotalSeconds);
        }


        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var seen = new List<RequestResult>();
        IReadOnlyList<CpuSample>? quiet = null;
        var options = report with
        {
            Url = gateway.Url,
            Settle = settle,
            QuietMeasured = new InlineProgress<IReadOnlyList<CpuSample>>(q => quiet = q),
            Completed = new InlineProgress<RequestResult>(r =>
            {
                lock (seen)
                {
                    seen.Add(r);
                }

                if (watch.Observe(r))
                {
                    stop.Cancel();
                }
            }),
            Sending = new InlineProgress<Workloads.WorkloadRequest>(r => watch.Sent(r.Line)),
        };

        // Requests still in flight past the p95 target count against it before they end (HardTargetWatch).
        var running = 1;
        using var overdue = new Timer(_ =>
        {
            // A tick already running when the run ends must not cancel a source that is being disposed.
            if (Volatile.Read(ref running) == 1 && watch.CheckInFlight())
            {
                lock (seen)
                {
                    if (running == 1)
                    {
                        stop.Cancel();
                    }
                }
            }
        }, null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));

        try
        {
            var card = await ReportRunner.RunAsync(options, progress, stop.Token);
            return FromScorecard(candidate, card, clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (watch.Broken is not null && !cancellationToken.IsCancellationRequested)
        {
            // The gateway ran nothing but this workload since it started: its busy samples are the workload's, up to the stop.
            IReadOnlyList<CpuSample> busy = [];
            try
            {
                using var http = ReportRunner.Client(gateway.Url, report.ApiKey, TimeSpan.FromSeconds(30));
                busy = [.. (await GatewaySamples.KeptAsync(http, cancellationToken)).Where(s => s.Busy)];
            }
            catch (HttpRequestException)
            {
                // No CPU figures for this run, as before the gateway served its samples.
            }

            return Stopped(candidate, watch, [.. seen], busy, clock.Elapsed.TotalSeconds) with
            {
                IdleCpuPercent = quiet is { Count: > 0 } q ? Scorer.IdleCpu(q) : null,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
        {
            return Failed(candidate, e.Message, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            lock (seen)
            {
                running = 0;
            }
        }
    }

    public static CandidateResult FromScorecard(Candidate candidate, Scorecard card, double elapsedSeconds)
    {
        var lines = card.Lines.ToDictionary(l => l.Metric, StringComparer.Ordinal);
        double? Value(string metric) => lines.TryGetValue(metric, out var l) ? l.Value : null;
        bool Misses(string metric) => lines.TryGetValue(metric, out var l) && l.Pass == false;
        var missed = card.Lines.Where(l => l.Pass == false).Select(l => l.Metric).ToList();
        if (card.Failed > 0)
        {
            missed.Insert(0, $"{card.Failed} failed requests");
        }

        return new CandidateResult(
            candidate, CandidateStatus.Measured, card.Requests, card.Failed,
            Value("idle CPU (gateway + llama-server)"), Value("active CPU mean (llama-server, 100 ms)"), Value("active CPU p99"),
            Value("active CPU peak"), Value("llama-server RSS peak"), Value("latency p50"), Value("latency p95"), Value("latency p99"),
            Value("prefill"), Value("decode"), card.MeetsTargets, Misses("latency p95"),
            Misses("active CPU mean (llama-server, 100 ms)") || Misses("active CPU p99"),
            missed.Count == 0 ? null : "misses " + string.Join(", ", missed), elapsedSeconds);
    }

    /// <summary>
    /// A run stopped early: its latency figures over the requests that ended, its CPU figures over the samples taken while
    /// a request was in flight up to the stop (none when there are none); the caller adds the quiet period's idle figure.
    /// It missed latency when the watch stopped it for latency (requests in flight past the target count, too).
    /// </summary>
    public static CandidateResult Stopped(
        Candidate candidate, HardTargetWatch watch, IReadOnlyList<RequestResult> seen, IReadOnlyList<CpuSample> busy, double elapsedSeconds)
    {
        var ok = seen.Where(r => r.Ok).Select(r => r.LatencySeconds).ToList();
        var latency = Distribution.Of(ok);
        var failed = seen.Count(r => !r.Ok);
        var cpu = busy.Count > 0 ? Distribution.Of(busy.Select(s => s.ChildPercent)) : null;
        return new CandidateResult(
            candidate, CandidateStatus.Stopped, seen.Count, failed, null, cpu?.Mean, cpu?.P99, cpu?.Max,
            busy.Count > 0 ? busy.Max(s => s.ChildRssBytes) / (1024.0 * 1024 * 1024) : null,
            ok.Count > 0 ? latency.P50 : null, ok.Count > 0 ? latency.P95 : null, ok.Count > 0 ? latency.P99 : null, null, null,
            MeetsTargets: false, MissesLatency: failed == 0 && watch.Slow > watch.SlowAllowed, MissesCpu: false,
            "stopped: " + watch.Broken, elapsedSeconds);
    }

    public static CandidateResult Failed(Candidate candidate, string reason, double elapsedSeconds) =>
        new(candidate, CandidateStatus.Failed, 0, 0, null, null, null, null, null, null, null, null, null, null,
            MeetsTargets: false, MissesLatency: false, MissesCpu: false, "did not start: " + reason, elapsedSeconds);
}
