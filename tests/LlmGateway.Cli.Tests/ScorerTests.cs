using LlmGateway.Cli.Report;
using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Tests;

/// <summary>Percentiles and the scorecard's arithmetic, on canned measurements.</summary>
public sealed class ScorerTests
{
    [Fact]
    public void Percentiles_are_nearest_rank_values_that_were_observed()
    {
        var d = Distribution.Of(Enumerable.Range(1, 100).Select(i => (double)i).Reverse());
        Assert.Equal(new Distribution(100, 50.5, 50, 95, 99, 100), d);
        var small = Distribution.Of([3, 1, 2]);
        Assert.Equal((2.0, 3.0, 3.0, 3.0), (small.P50, small.P95, small.P99, small.Max));
        Assert.Equal(Distribution.Empty, Distribution.Of([]));
    }

    private static RequestResult Result(double latency, double ttft = 0.1, bool ok = true, bool? correct = null, LlamaTimings? timings = null) =>
        new("r", 1, ok, ok ? null : "HTTP 503", 0, latency, ttft, 10, 5, timings, correct, "");

    private static CpuSample Cpu(double child, double gateway = 0, long rss = 1L << 30, bool busy = true) => new(0, 0, child, gateway, rss, 100L << 20, busy);

    private static ScoreLine Line(IReadOnlyList<ScoreLine> lines, string metric) => lines.Single(l => l.Metric == metric);

    [Fact]
    public void Active_CPU_is_that_of_the_samples_taken_while_a_request_was_in_flight()
    {
        // Half the samples busy at 40 %, half in the gaps between arrivals at 0 %: the mean a user feels is 40, not 20.
        var samples = Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? Cpu(40) : Cpu(0, busy: false)).ToList();
        var lines = Scorer.Score(new Measurements([Result(1)], null, samples, null, null, false), new Targets());

        Assert.Equal(40, Line(lines, "active CPU mean (llama-server, 100 ms)").Value);
        Assert.False(Line(lines, "active CPU mean (llama-server, 100 ms)").Pass);
    }

    [Fact]
    public void Each_figure_is_held_against_its_target()
    {
        var results = Enumerable.Range(1, 20).Select(i => Result(i / 10.0)).ToList(); // 0.1 .. 2.0 s
        var active = Enumerable.Range(0, 100).Select(i => Cpu(i < 98 ? 20 : 90)).ToList();
        var idle = Enumerable.Range(0, 10).Select(_ => Cpu(0.5, 0.5)).ToList();
        var lines = Scorer.Score(new Measurements(results, idle, active, null, null, SyntheticModel: false), new Targets());

        Assert.Equal((1.0, true), (Line(lines, "idle CPU (gateway + llama-server)").Value!.Value, Line(lines, "idle CPU (gateway + llama-server)").Pass!.Value));
        var mean = Line(lines, "active CPU mean (llama-server, 100 ms)");
        Assert.Equal(21.4, mean.Value!.Value, 6);
        Assert.True(mean.Pass);
        Assert.Equal((90.0, false), (Line(lines, "active CPU p99").Value!.Value, Line(lines, "active CPU p99").Pass!.Value));
        Assert.Equal(90, Line(lines, "active CPU peak").Value);
        Assert.True(Line(lines, "llama-server RSS peak").Pass);
        Assert.Equal(1.0, Line(lines, "latency p50").Value!.Value, 9);
        Assert.Equal((1.9, true), (Math.Round(Line(lines, "latency p95").Value!.Value, 9), Line(lines, "latency p95").Pass!.Value));
        var tail = Line(lines, "latency p99/p50");
        Assert.Equal(2.0, tail.Value!.Value, 9);
        Assert.False(tail.Pass); // strictly below 2
    }

    [Fact]
    public void Overridden_targets_change_the_verdicts()
    {
        var results = new[] { Result(3), Result(3) };
        var lines = Scorer.Score(new Measurements(results, null, [Cpu(60)], null, null, false), new Targets(ActiveCpuP99Percent: 70, P95LatencySeconds: 4));
        Assert.True(Line(lines, "latency p95").Pass);
        Assert.True(Line(lines, "active CPU p99").Pass);
        Assert.False(Line(lines, "active CPU mean (llama-server, 100 ms)").Pass);
        Assert.Null(Line(lines, "idle CPU (gateway + llama-server)").Value);
    }

    [Fact]
    public void Speeds_come_from_llama_servers_timings_summed_over_answers()
    {
        var results = new[]
        {
            Result(1, timings: new LlamaTimings(100, 500, 10, 200, 0)),
            Result(1, timings: new LlamaTimings(300, 500, 30, 600, 20)),
        };
        var (prefill, decode, source) = Scorer.Speeds(results);
        Assert.Equal(400, prefill!.Value, 9);
        Assert.Equal(50, decode!.Value, 9);
        Assert.Equal("llama-server timings", source);
    }

    [Fact]
    public void Without_timings_speeds_come_from_usage_and_the_clock()
    {
        // 10 prompt tokens by the first token at 0.5 s; the other 4 of 5 tokens in the remaining 1.5 s.
        var (prefill, decode, source) = Scorer.Speeds([Result(2, ttft: 0.5)]);
        Assert.Equal(20, prefill!.Value, 9);
        Assert.Equal(4 / 1.5, decode!.Value, 9);
        Assert.Equal("usage and the client's clock", source);
    }

    [Fact]
    public void Correctness_counts_scored_answers_and_is_not_judged_for_a_synthetic_model()
    {
        var results = new[] { Result(1, correct: true), Result(1, correct: true), Result(1, correct: false), Result(1, correct: null), Result(1, correct: true) };
        var real = Line(Scorer.Score(new Measurements(results, null, null, null, null, false), new Targets()), "correctness");
        Assert.Equal((0.75, false), (real.Value!.Value, real.Pass!.Value));

        var synthetic = Line(Scorer.Score(new Measurements(results, null, null, null, null, true), new Targets()), "correctness");
        Assert.Null(synthetic.Pass);
        Assert.Contains("not meaningful", synthetic.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_requests_are_left_out_of_latency_and_fail_the_card()
    {
        var results = new[] { Result(1), Result(100, ok: false) };
        var lines = Scorer.Score(new Measurements(results, null, null, null, null, false), new Targets());
        Assert.Equal(1, Line(lines, "latency p99").Value);
        var card = new Scorecard("w", "u", "m", "sequential", DateTimeOffset.UnixEpoch, 2, 1, 1, "", lines, results, []);
        Assert.False(card.MeetsTargets);
    }

    [Fact]
    public void The_foreground_slowdown_is_the_median_beside_over_the_median_alone()
    {
        var lines = Scorer.Score(new Measurements([Result(1)], null, null, 0.2, [0.3, 0.5, 0.4], false), new Targets(ForegroundSlowdown: 1.5));
        var slowdown = Line(lines, "foreground job slowdown");
        Assert.Equal(2, slowdown.Value!.Value, 9);
        Assert.False(slowdown.Pass);
    }

    [Fact]
    public void Arrival_schedules_are_fixed_or_seeded_exponential_gaps()
    {
        Assert.Empty(ArrivalPattern.Sequential.Schedule(5, 1));
        Assert.Equal([0, 0.25, 0.5, 0.75], new ArrivalPattern(ArrivalKind.Fixed, 4).Schedule(4, 1).Select(t => t.TotalSeconds));

        var poisson = new ArrivalPattern(ArrivalKind.Poisson, 2);
        var times = poisson.Schedule(20_000, 7);
        Assert.Equal(times, poisson.Schedule(20_000, 7)); // the same seed, the same times
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        Assert.All(gaps, g => Assert.True(g >= 0));
        Assert.InRange(gaps.Average(), 0.48, 0.52); // mean gap 1/rate; deterministic for this seed
    }

    [Fact]
    public void Formats_carry_every_figure()
    {
        var lines = Scorer.Score(new Measurements([Result(1)], null, [Cpu(10)], null, null, true), new Targets());
        var card = new Scorecard("w", "http://x", "m", "sequential", DateTimeOffset.UnixEpoch, 1, 1, 0, "proc", lines, [Result(1)], []);
        var csv = ScorecardWriter.Csv(card).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Count + 1, csv.Length);
        var markdown = ScorecardWriter.Markdown(card);
        Assert.All(lines, l => Assert.Contains(l.Metric, markdown, StringComparison.Ordinal));
        using var json = new StringWriter();
        ScorecardWriter.Write(card, OutputFormat.Json, json);
        Assert.Contains("\"lines\"", json.ToString(), StringComparison.Ordinal);
        using var table = new StringWriter();
        ScorecardWriter.Write(card, OutputFormat.Table, table);
        Assert.Contains("latency p95", table.ToString(), StringComparison.Ordinal);
    }
}
