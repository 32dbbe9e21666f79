using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace LlmGateway.Cli.Report;

/// <summary>Replays a workload against a running gateway and measures it: the quiet period, the workload, the foreground job.</summary>
public static class ReportRunner
{
    public static async Task<Scorecard> RunAsync(ReportOptions options, IProgress<ReportPhase> progress, CancellationToken cancellationToken)
    {
        using var http = Client(options.Url, options.ApiKey, options.RequestTimeout ?? TimeSpan.FromMinutes(5));
        var (model, synthetic) = await GatewayStateAsync(http, cancellationToken);
        var sampled = await GatewaySamples.ServedAsync(http, cancellationToken);

        var cpuSource = sampled
            ? "the gateway's own sampler (GET /admin/cpu/samples): llama-server and the gateway every 100 ms"
            : "none: the gateway serves no CPU samples (GET /admin/cpu/samples)";

        IReadOnlyList<CpuSample>? idle = null;
        if (sampled && options.Idle > TimeSpan.Zero)
        {
            await SettleAsync(options.Settle, progress, cancellationToken);
            await using var quiet = await GatewaySamples.StartAsync(http, cancellationToken);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < options.Idle)
            {
                progress.Report(new ReportPhase("quiet period", clock.Elapsed.TotalSeconds, options.Idle.TotalSeconds));
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }

            (idle, _) = await quiet.StopAsync(cancellationToken, withTail: false);
            options.QuietMeasured?.Report(idle);
            progress.Report(new ReportPhase("quiet period", options.Idle.TotalSeconds, options.Idle.TotalSeconds));
        }

        double? alone = null;
        if (options.Foreground)
        {
            const int runs = 3;
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                progress.Report(new ReportPhase("foreground job alone", i, runs));
                times.Add(await Task.Run(() => ForegroundJob.RunOnce().TotalSeconds, cancellationToken));
            }

            alone = Distribution.Of(times).P50;
            progress.Report(new ReportPhase("foreground job alone", runs, runs));
        }

        var started = DateTimeOffset.UtcNow;
        using var stopForeground = new CancellationTokenSource();
        var beside = options.Foreground ? ForegroundJob.RepeatUntil(stopForeground.Token) : null;
        await using var active = sampled ? await GatewaySamples.StartAsync(http, cancellationToken) : null;
        IReadOnlyList<RequestResult> results;
        try
        {
            results = await ReplayAsync(new ChatStreamClient(http, model), options, progress, cancellationToken);
        }
        finally
        {
            stopForeground.Cancel();
        }

        IReadOnlyList<CpuSample>? activeSamples = active is null ? null : (await active.StopAsync(cancellationToken)).Samples;

        IReadOnlyList<double>? besideRuns = null;
        if (beside is not null)
        {
            var runs = await beside;
            // The last run went on after the workload ended, partly on a quiet machine: it is not a run beside the workload.
            besideRuns = runs.Count > 1 ? [.. runs.Take(runs.Count - 1)] : runs;
        }

        var measurements = new Measurements(results, idle, activeSamples, alone, besideRuns, synthetic);
        return new Scorecard(
            options.Workload.Name, options.Url.ToString(), model, options.Arrival.ToString(), started, results.Count,
            results.Count(r => r.Ok), results.Count(r => !r.Ok), cpuSource, Scorer.Score(measurements, options.Targets), results,
            activeSamples ?? []);
    }

    private static async Task SettleAsync(TimeSpan settle, IProgress<ReportPhase> progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < settle)
        {
            progress.Report(new ReportPhase("settling", clock.Elapsed.TotalSeconds, settle.TotalSeconds));
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>A client for the gateway at <paramref name="url"/>: relative paths resolve under it, the key goes as a bearer token.</summary>
    public static HttpClient Client(Uri url, string? apiKey, TimeSpan timeout)
    {
        var http = new HttpClient
        {
            BaseAddress = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/"),
            Timeout = timeout,
        };
        if (apiKey is { Length: > 0 } key)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    private static async Task<IReadOnlyList<RequestResult>> ReplayAsync(
        ChatStreamClient client, ReportOptions options, IProgress<ReportPhase> progress, CancellationToken cancellationToken)
    {
        var requests = options.Workload.Requests;
        var results = new RequestResult[requests.Count];
        var done = 0;
        progress.Report(new ReportPhase("requests", 0, requests.Count));
        var clock = Stopwatch.StartNew();
        var schedule = options.Arrival.Schedule(requests.Count, options.Seed);
        if (schedule.Count == 0)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                options.Sending?.Report(requests[i]);
                results[i] = await client.SendAsync(requests[i], clock.Elapsed.TotalSeconds, cancellationToken);
                options.Completed?.Report(results[i]);
                progress.Report(new ReportPhase("requests", ++done, requests.Count));
            }

            return results;
        }

        var tasks = new List<Task>();
        for (var i = 0; i < requests.Count; i++)
        {
            var wait = schedule[i] - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            var index = i;
            options.Sending?.Report(requests[index]);
            tasks.Add(Task.Run(async () =>
            {
                results[index] = await client.SendAsync(requests[index], clock.Elapsed.TotalSeconds, cancellationToken);
                options.Completed?.Report(results[index]);
                progress.Report(new ReportPhase("requests", Interlocked.Increment(ref done), requests.Count));
            }, cancellationToken));
        }

        await Task.WhenAll(tasks);
        return results;
    }

    /// <summary>Whether the gateway is ready (/ready), the served model from /v1/models, and whether it is synthetic.</summary>
    private static async Task<(string Model, bool Synthetic)> GatewayStateAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var ready = await http.GetAsync("ready", cancellationToken);
        var readiness = await ready.Content.ReadAsStringAsync(cancellationToken);
        if (ready.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The gateway at {http.BaseAddress} is not ready ({(int)ready.StatusCode}): {readiness}");
        }

        using var models = await http.GetAsync("v1/models", cancellationToken);
        var text = await models.Content.ReadAsStringAsync(cancellationToken);
        if (!models.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /v1/models answered {(int)models.StatusCode}: {text} (an API key is given with --api-key or LLMGW_API_KEY)");
        }

        using var list = JsonDocument.Parse(text);
        var model = list.RootElement.GetProperty("data")[0].GetProperty("id").GetString() ?? "default";
        // Synthetic models (scripts/synthetic-model.sh) have random weights and say so in their name.
        var synthetic = text.Contains("random weights", StringComparison.OrdinalIgnoreCase) || model.Contains("synthetic", StringComparison.OrdinalIgnoreCase);
        return (model, synthetic);
    }
}
