using LlmGateway.Cli.Report;
using LlmGateway.Cli.Tune;

namespace LlmGateway.Cli.Tests.Tune;

/// <summary>
/// A deterministic model of measurements on a 2-core machine, for testing the search without a gateway: each candidate's
/// request latencies come from a formula of its settings with 5 % noise from a generator seeded by the candidate, so a
/// candidate measures the same every time it is run; requests are fed to the same <see cref="HardTargetWatch"/> as the
/// real runner, and a run ends as soon as it says so.
/// </summary>
/// <remarks>
/// The formula follows the research's findings as monotone effects: latency falls with budget and with threads up to the
/// budget's cores, and rises with threads beyond them (spinning at the barrier); the CPU spike (p99) follows
/// threads-batch up to the cap; the mean is below the cap by the workload's gaps; CapAndYield costs a little latency;
/// the larger model is slower; a batch size below llama-server's default is a little faster.
/// </remarks>
public sealed class TableCandidateRunner(int requests, Targets targets) : ICandidateRunner
{
    public const string Small = "/models/small-q4.gguf";
    public const string Large = "/models/small-q8.gguf";
    private const double Cores = 2;

    /// <summary>Every candidate run, in order (resumed ones are never run).</summary>
    public List<Candidate> Runs { get; } = [];

    /// <summary>How many requests each run got through before it ended.</summary>
    public Dictionary<string, int> RequestsRun { get; } = new(StringComparer.Ordinal);

    /// <summary>Candidates whose every request fails at the given request number (a bad combination that breaks at load).</summary>
    public Dictionary<string, int> FailAt { get; } = new(StringComparer.Ordinal);

    public Action<Candidate>? BeforeRun { get; set; }

    public static Candidate Plan => new(Small, 35, "CapAndYield", 1, 1, 100_000, 4096, 1);

    public Task<Candidate> PlanAsync(string model, CancellationToken cancellationToken) => Task.FromResult(Plan with { Model = model });

    /// <summary>The noiseless latency of one request in seconds.</summary>
    public static double Latency(Candidate c)
    {
        var cores = c.BudgetPercent / 100.0 * Cores;
        double Speed(int threads) => Math.Min(threads, cores) * (threads > cores ? 0.75 : 1);
        var work = c.Model == Large ? 1.7 : 1.0;
        var latency = work * (0.6 / Speed(c.ThreadsBatch) + 1.0 / Speed(c.Threads));
        latency *= c.Mode == "CapAndYield" ? 1.05 : 1;
        latency *= c.Parallel == 2 ? 0.92 : 1;
        // A smaller batch a little faster on short prompts; none of the search tests' default spaces set it.
        latency *= c.BatchSize is { } b && b < 2048 ? 0.95 : 1;
        return latency;
    }

    public static double CpuMean(Candidate c) => Math.Min(c.BudgetPercent, (0.35 * c.ThreadsBatch + 0.65 * c.Threads) * 50) * 0.6 + (c.Parallel == 2 ? 2 : 0);

    public static double CpuP99(Candidate c) => Math.Min(c.BudgetPercent, c.ThreadsBatch * 50.0) + (c.Parallel == 2 ? 3 : 0);

    public Task<CandidateResult> RunAsync(Candidate candidate, HardTargetWatch watch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BeforeRun?.Invoke(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        Runs.Add(candidate);
        var random = new Random(Seed(candidate.Key));
        var latencies = new List<double>();
        var failed = 0;
        for (var i = 1; i <= requests; i++)
        {
            var ok = !(FailAt.TryGetValue(candidate.Key, out var at) && i >= at);
            var latency = Latency(candidate) * (1 + 0.05 * Gaussian(random));
            latencies.Add(latency);
            failed += ok ? 0 : 1;
            if (watch.Observe(i, ok, latency))
            {
                RequestsRun[candidate.Key] = i;
                var seen = latencies.Select((l, n) => new RequestResult($"r{n}", n + 1, !(FailAt.TryGetValue(candidate.Key, out var f) && n + 1 >= f), null, 0, l, null, null, null, null, null, "")).ToList();
                return Task.FromResult(GatewayCandidateRunner.Stopped(candidate, watch, seen, [], 0));
            }
        }

        RequestsRun[candidate.Key] = requests;
        var d = Distribution.Of(latencies);
        var (mean, p99) = (CpuMean(candidate), CpuP99(candidate));
        var missesLatency = d.P95 > targets.P95LatencySeconds;
        var missesCpu = mean > targets.ActiveCpuMeanPercent || p99 > targets.ActiveCpuP99Percent;
        var meets = !missesLatency && !missesCpu && d.P99 / d.P50 < targets.TailRatio;
        return Task.FromResult(new CandidateResult(
            candidate, CandidateStatus.Measured, requests, failed, 0.1, mean, p99, p99 + 5, candidate.Model == Large ? 0.9 : 0.5,
            d.P50, d.P95, d.P99, 500, 20, meets, missesLatency, missesCpu, meets ? null : "misses", 0));
    }

    /// <summary>FNV-1a of the key: string.GetHashCode differs between processes, and the table must not.</summary>
    private static int Seed(string key)
    {
        var hash = 2166136261u;
        foreach (var ch in key)
        {
            hash = (hash ^ ch) * 16777619u;
        }

        return (int)hash;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
