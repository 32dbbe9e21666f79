using LlmGateway.Cli.Report;
using LlmGateway.Cli.Tune;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace LlmGateway.Cli.Tests.Tune;

/// <summary>The search in-process against <see cref="TableCandidateRunner"/>: the same answer as the grid, for half the runs or fewer.</summary>
public sealed class TuneSearchTests(ITestOutputHelper output)
{
    private const int Requests = 40;
    private static readonly Targets Targets = new();

    private static readonly SearchSpace Space = new(
        [TableCandidateRunner.Small, TableCandidateRunner.Large], [25, 35, 50, 75, 100], ["Cap", "CapAndYield"], [1, 2], [1, 2], [100_000], [4096], [1, 2]);

    [Fact]
    public async Task Finds_what_the_exhaustive_grid_finds_with_at_most_half_the_runs()
    {
        // The grid: every candidate run to the end (a watch whose p95 bound nothing breaks), the best that meets every target.
        var grid = new TableCandidateRunner(Requests, Targets);
        var all = new List<CandidateResult>();
        foreach (var c in Space.All())
        {
            all.Add(await grid.RunAsync(c, new HardTargetWatch(Requests, double.MaxValue), CancellationToken.None));
        }

        var best = all.Where(r => r.MeetsTargets).MinBy(r => r.P95Seconds)!;

        var runner = new TableCandidateRunner(Requests, Targets);
        var outcome = await new TuneSearch(runner, Targets, Requests).RunAsync(Space, [], _ => { }, CancellationToken.None);

        output.WriteLine($"grid best {best.Candidate.Key} p95 {best.P95Seconds:0.000}; search winner {outcome.Winner?.Candidate.Key} p95 {outcome.Winner?.P95Seconds:0.000}; {runner.Runs.Count} runs, {outcome.Skipped.Count} skipped, grid {Space.Count}");
        Assert.NotNull(outcome.Winner);
        Assert.True(outcome.Winner.P95Seconds <= best.P95Seconds * 1.05,
            $"the search's winner {outcome.Winner.Candidate.Key} (p95 {outcome.Winner.P95Seconds}) is more than 5 % slower than the grid's {best.Candidate.Key} (p95 {best.P95Seconds})");
        Assert.True(outcome.Winner.MeetsTargets);
        Assert.Equal(Space.Count, outcome.GridSize);
        Assert.True(runner.Runs.Count * 2 <= Space.Count, $"{runner.Runs.Count} runs of a grid of {Space.Count}");
        Assert.Equal(runner.Runs.Count, outcome.NewRuns);
        Assert.Equal(runner.Runs.Count, runner.Runs.Distinct().Count());
        // It started at the planner's plan.
        Assert.Equal(TableCandidateRunner.Plan, runner.Runs[0]);
        // Nothing it skipped is better than what it found: dominance only ruled out candidates that could not win.
        foreach (var s in outcome.Skipped)
        {
            var truth = all.Single(r => r.Candidate == s.Candidate);
            Assert.False(truth.MeetsTargets && truth.P95Seconds < outcome.Winner.P95Seconds, $"skipped {s.Candidate.Key} ({s.Reason}) would have won");
        }

        // The front holds the winner's trade-off: no measured candidate beats it on both p95 and CPU.
        Assert.NotEmpty(outcome.ParetoFront);
        Assert.All(outcome.ParetoFront, f => Assert.DoesNotContain(outcome.Results,
            r => r.Status == CandidateStatus.Measured && r.P95Seconds < f.P95Seconds && r.CpuMeanPercent < f.CpuMeanPercent));
    }

    [Fact]
    public async Task Grid_runs_every_candidate_once_in_order_and_its_winner_is_the_best_that_meets_every_target()
    {
        var runner = new TableCandidateRunner(Requests, Targets);
        var outcome = await new TuneSearch(runner, Targets, Requests, grid: true).RunAsync(Space, [], _ => { }, CancellationToken.None);

        Assert.Equal(Space.All(), runner.Runs);
        Assert.Empty(outcome.Skipped);
        Assert.Equal(Space.Count, outcome.NewRuns);
        var best = outcome.Results.Where(r => r.MeetsTargets).MinBy(r => r.P95Seconds);
        Assert.Equal(best, outcome.Winner);

        // The walk's winner is that one, or within 5 % of its p95 (the noise of the table).
        var walk = await new TuneSearch(new TableCandidateRunner(Requests, Targets), Targets, Requests).RunAsync(Space, [], _ => { }, CancellationToken.None);
        Assert.True(walk.Winner!.P95Seconds <= best!.P95Seconds * 1.05, $"walk {walk.Winner.Candidate.Key} against grid {best.Candidate.Key}");
    }

    [Fact]
    public async Task Stops_a_candidate_as_soon_as_it_breaks_a_hard_target()
    {
        var runner = new TableCandidateRunner(Requests, Targets);
        // A neighbour of the plan fast enough to meet p95, so only its failure can stop it.
        var failing = TableCandidateRunner.Plan with { BudgetPercent = 50 };
        runner.FailAt[failing.Key] = 4;
        var outcome = await new TuneSearch(runner, Targets, Requests).RunAsync(Space, [], _ => { }, CancellationToken.None);

        // A failed request stops the run at that request.
        var failed = outcome.Results.Single(r => r.Candidate == failing);
        Assert.Equal(CandidateStatus.Stopped, failed.Status);
        Assert.Equal(4, runner.RequestsRun[failing.Key]);
        Assert.Contains("failed", failed.Reason, StringComparison.Ordinal);

        // A slow candidate stops at the third request over the p95 target (40 planned: 2 may be over), long before the 40th.
        var slow = outcome.Results.Where(r => r.Status == CandidateStatus.Stopped && r.Candidate != failing).ToList();
        Assert.NotEmpty(slow);
        Assert.All(slow, r =>
        {
            Assert.True(TableCandidateRunner.Latency(r.Candidate) > Targets.P95LatencySeconds, r.Candidate.Key);
            Assert.InRange(runner.RequestsRun[r.Candidate.Key], 3, Requests - 1);
            Assert.True(r.MissesLatency);
            Assert.False(r.MeetsTargets);
        });
    }

    [Fact]
    public void The_early_stop_rule_follows_nearest_rank_p95()
    {
        var watch = new HardTargetWatch(40, 2.5);
        Assert.Equal(2, watch.SlowAllowed);
        Assert.False(watch.Observe(1, true, 3));
        Assert.False(watch.Observe(2, true, 1));
        Assert.False(watch.Observe(3, true, 3));
        Assert.True(watch.Observe(4, true, 3));
        Assert.Contains("3 requests over the p95 target after 4 of 40", watch.Broken, StringComparison.Ordinal);

        var failing = new HardTargetWatch(40, 2.5);
        Assert.True(failing.Observe(1, false, 0.1));
        // 10 requests: ceil(9.5) = 10, so a single slow one already puts p95 over the target.
        Assert.Equal(0, new HardTargetWatch(10, 2.5).SlowAllowed);
    }

    [Fact]
    public void Requests_in_flight_past_the_target_count_against_it_before_they_end()
    {
        var time = new FakeTimeProvider();
        var watch = new HardTargetWatch(40, 2.5, time);
        watch.Sent(1);
        watch.Sent(2);
        time.Advance(TimeSpan.FromSeconds(2));
        watch.Sent(3);
        Assert.False(watch.CheckInFlight());
        time.Advance(TimeSpan.FromSeconds(1));
        // 1 and 2 are 3 s in flight: over the target, and allowed (two of 40).
        Assert.False(watch.CheckInFlight());
        Assert.Equal(2, watch.Slow);
        // One that ended counts once, however it is seen.
        Assert.False(watch.Observe(1, true, 4));
        Assert.Equal(2, watch.Slow);
        time.Advance(TimeSpan.FromSeconds(2));
        // 3 is now 3 s in flight too: the third over the target stops the candidate before any answer of it arrives.
        Assert.True(watch.CheckInFlight());
        Assert.Equal(1, watch.Seen);
    }

    [Fact]
    public async Task Resumes_from_its_results_file_without_running_a_measured_candidate_again()
    {
        var whole = new TableCandidateRunner(Requests, Targets);
        var uninterrupted = await new TuneSearch(whole, Targets, Requests).RunAsync(Space, [], _ => { }, CancellationToken.None);

        var file = Path.Combine(Path.GetTempPath(), $"llmgw-tune-{Guid.NewGuid():N}.jsonl");
        try
        {
            // Interrupted (Ctrl-C) after three candidates: what was measured is in the file, and the outcome says so.
            using var interrupt = new CancellationTokenSource();
            var first = new TableCandidateRunner(Requests, Targets);
            var partial = await new TuneSearch(first, Targets, Requests).RunAsync(Space, [], r =>
            {
                ResultsFile.Append(file, r);
                if (first.Runs.Count == 3)
                {
                    interrupt.Cancel();
                }
            }, interrupt.Token);
            Assert.True(partial.Interrupted);
            Assert.Equal(3, partial.Results.Count);

            // A torn last line (killed mid-write) is ignored, not fatal.
            await File.AppendAllTextAsync(file, "{\"candidate\":{\"model\":");
            var resumed = ResultsFile.Read(file);
            Assert.Equal(partial.Results, resumed, ResultEquality.Instance);

            var second = new TableCandidateRunner(Requests, Targets);
            var outcome = await new TuneSearch(second, Targets, Requests).RunAsync(Space, resumed, _ => { }, CancellationToken.None);

            Assert.False(outcome.Interrupted);
            Assert.DoesNotContain(second.Runs, c => first.Runs.Contains(c));
            Assert.Equal(whole.Runs.Count, first.Runs.Count + second.Runs.Count);
            Assert.Equal(uninterrupted.Winner!.Candidate, outcome.Winner!.Candidate);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Skips_only_what_the_monotone_rules_rule_out()
    {
        var missedLatency = Result(TableCandidateRunner.Plan with { BudgetPercent = 50 }, missesLatency: true, missesCpu: false);
        var missedCpu = Result(TableCandidateRunner.Plan with { BudgetPercent = 50, Threads = 2 }, missesLatency: false, missesCpu: true);

        // Less budget, same threads: no faster than one that was too slow.
        Assert.NotNull(Dominance.DominatedBy(missedLatency.Candidate with { BudgetPercent = 35 }, [missedLatency]));
        // More threads are not covered: beyond the budget's cores they can be slower or faster.
        Assert.Null(Dominance.DominatedBy(missedLatency.Candidate with { BudgetPercent = 35, Threads = 2 }, [missedLatency]));
        // More budget can be faster.
        Assert.Null(Dominance.DominatedBy(missedLatency.Candidate with { BudgetPercent = 75 }, [missedLatency]));
        // More budget and threads use no less CPU than one that used too much.
        Assert.NotNull(Dominance.DominatedBy(missedCpu.Candidate with { BudgetPercent = 75, ThreadsBatch = 2 }, [missedCpu]));
        Assert.Null(Dominance.DominatedBy(missedCpu.Candidate with { BudgetPercent = 35 }, [missedCpu]));
        // Another model, mode or slot count is another machine as far as these rules go.
        Assert.Null(Dominance.DominatedBy(missedCpu.Candidate with { BudgetPercent = 75, Model = TableCandidateRunner.Large }, [missedCpu]));
        Assert.Null(Dominance.DominatedBy(missedCpu.Candidate with { BudgetPercent = 75, Mode = "Cap" }, [missedCpu]));
    }

    private static CandidateResult Result(Candidate c, bool missesLatency, bool missesCpu) =>
        new(c, CandidateStatus.Measured, Requests, 0, null, 30, 40, 50, 0.5, 1, 2, 2.2, null, null, !missesLatency && !missesCpu, missesLatency, missesCpu, null, 0);

    /// <summary>Records with lists compare by reference; a result read back compares by its JSON.</summary>
    private sealed class ResultEquality : IEqualityComparer<CandidateResult>
    {
        public static readonly ResultEquality Instance = new();

        public bool Equals(CandidateResult? x, CandidateResult? y) => x == y;

        public int GetHashCode(CandidateResult obj) => obj.GetHashCode();
    }
}
