using LlmGateway.Cli.Report;
using LlmGateway.Cli.Tune;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.Cli.Tests.Tune;

/// <summary>The llama-server and backend dimensions of the space: batch, micro-batch, KV cache type, prompt caching, CPU backend.</summary>
public sealed class TuneDimensionsTests
{
    private const int Requests = 40;
    private static readonly Targets Targets = new();

    private static readonly SearchSpace Space = new(
        [TableCandidateRunner.Small], [25, 35, 50, 75, 100], ["Cap", "CapAndYield"], [1, 2], [1, 2], [100_000], [4096], [1, 2]);

    [Fact]
    public void A_candidate_with_the_new_settings_unset_keeps_the_key_and_settings_of_earlier_results_files()
    {
        var c = new Candidate("/models/m.gguf", 35, "CapAndYield", 1, 2, 100_000, 4096, 1);

        Assert.Equal("m.gguf|budget=35|mode=CapAndYield|t=1|tb=2|period=100000|ctx=4096|par=1", c.Key);
        Assert.DoesNotContain(c.Settings(), s => s.Key is "LlamaServer__BatchSize" or "LlamaServer__MicroBatchSize" or "LlamaServer__KvCacheType"
            or "LlamaServer__CachePrompt" or "Cpu__Backend");
        Assert.Equal("35% CapAndYield t1/tb2 100ms ctx4096 x1", TuneTable.Short(c));
    }

    [Fact]
    public void A_results_line_written_before_the_new_settings_reads_back_as_the_same_candidate()
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-tune-{Guid.NewGuid():N}.jsonl");
        try
        {
            // A line as the search wrote it before batch, KV cache, prompt cache and backend were in Candidate.
            File.WriteAllText(file, """
                {"candidate":{"model":"/models/m.gguf","budgetPercent":35,"mode":"Cap","threads":1,"threadsBatch":1,"capPeriodMicroseconds":100000,"contextSize":4096,"parallel":2},"status":"Measured","requests":40,"failedRequests":0,"idleCpuPercent":0.1,"cpuMeanPercent":20,"cpuP99Percent":35,"cpuPeakPercent":40,"rssGiB":0.5,"p50Seconds":1,"p95Seconds":1.5,"p99Seconds":1.6,"prefillTokensPerSecond":500,"decodeTokensPerSecond":20,"meetsTargets":true,"missesLatency":false,"missesCpu":false,"reason":null,"elapsedSeconds":30}
                """ + "\n");

            var read = Assert.Single(ResultsFile.Read(file));

            Assert.Equal(new Candidate("/models/m.gguf", 35, "Cap", 1, 1, 100_000, 4096, 2), read.Candidate);
            Assert.Equal("m.gguf|budget=35|mode=Cap|t=1|tb=1|period=100000|ctx=4096|par=2", read.Candidate.Key);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Set_values_are_in_the_key_the_settings_the_short_form_and_the_written_json()
    {
        var c = new Candidate("/models/m.gguf", 35, "Cap", 1, 1, 100_000, 4096, 1, 256, 128, "q8_0", false, "Cpulimit");

        Assert.Equal("m.gguf|budget=35|mode=Cap|t=1|tb=1|period=100000|ctx=4096|par=1|b=256|ub=128|kv=q8_0|cp=false|backend=Cpulimit", c.Key);
        Assert.Equal("35% Cap t1/tb1 100ms ctx4096 x1 b256/ub128 kv:q8_0 no-prompt-cache Cpulimit", TuneTable.Short(c));
        var settings = c.Settings().ToDictionary(s => s.Key, s => s.Value);
        Assert.Equal(("256", "128", "q8_0", "false", "Cpulimit"),
            (settings["LlamaServer__BatchSize"], settings["LlamaServer__MicroBatchSize"], settings["LlamaServer__KvCacheType"],
             settings["LlamaServer__CachePrompt"], settings["Cpu__Backend"]));

        // As JSON the sizes are numbers and prompt caching a boolean, which the gateway's configuration reads the same.
        var json = SettingsWriter.Json(c);
        Assert.Contains("\"BatchSize\": 256", json, StringComparison.Ordinal);
        Assert.Contains("\"CachePrompt\": false", json, StringComparison.Ordinal);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        Assert.False(configuration.GetValue<bool>("LlamaServer:CachePrompt", true));
        Assert.Equal(128, configuration.GetValue<int>("LlamaServer:MicroBatchSize"));
        Assert.Equal("Cpulimit", configuration["Cpu:Backend"]);
    }

    [Fact]
    public async Task A_batch_size_dimension_is_searched_and_its_winner_written()
    {
        var space = Space with { BatchSizes = [null, 256] };
        var runner = new TableCandidateRunner(Requests, Targets);

        var outcome = await new TuneSearch(runner, Targets, Requests).RunAsync(space, [], _ => { }, CancellationToken.None);

        // Both values were run, the planner's plan (not set) first; the smaller batch is faster in the table, and wins.
        Assert.Null(runner.Runs[0].BatchSize);
        Assert.Contains(runner.Runs, c => c.BatchSize == 256);
        Assert.NotNull(outcome.Winner);
        Assert.Equal(256, outcome.Winner.Candidate.BatchSize);
        Assert.Equal(space.Count, outcome.GridSize);
        Assert.True(runner.Runs.Count * 2 <= space.Count, $"{runner.Runs.Count} runs of a grid of {space.Count}");

        var file = Path.Combine(Path.GetTempPath(), $"llmgw-tune-{Guid.NewGuid():N}.env");
        try
        {
            SettingsWriter.Write(outcome.Winner.Candidate, file);
            Assert.Contains(new KeyValuePair<string, string>("LlamaServer__BatchSize", "256"), SettingsWriter.ReadEnvironmentLines(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Neighbours_step_the_sizes_with_unset_where_llama_servers_default_stands_and_never_put_a_micro_batch_above_its_batch()
    {
        var space = Space with { BatchSizes = [null, 256, 4096], MicroBatchSizes = [null, 128, 1024], KvCacheTypes = [null, "q8_0", "q4_0"], CachePrompt = [null, false], Backends = [null, "Cpulimit"] };
        var at = TableCandidateRunner.Plan with { BatchSize = 256, MicroBatchSize = 128 };

        var neighbours = space.Neighbours(at).ToList();

        // Batch: 256 -> unset (2048); micro-batch: 128 -> unset (512); 1024 would be above the batch of 256.
        Assert.Contains(at with { BatchSize = null }, neighbours);
        Assert.DoesNotContain(at with { BatchSize = 4096 }, neighbours);
        Assert.Contains(at with { MicroBatchSize = null }, neighbours);
        Assert.DoesNotContain(at with { MicroBatchSize = 1024 }, neighbours);
        // The others are categories: every other value is one step away.
        Assert.Contains(at with { KvCacheType = "q8_0" }, neighbours);
        Assert.Contains(at with { KvCacheType = "q4_0" }, neighbours);
        Assert.Contains(at with { CachePrompt = false }, neighbours);
        Assert.Contains(at with { Backend = "Cpulimit" }, neighbours);
        Assert.All(neighbours, n => Assert.True(n.IsValid, n.Key));
        // The grid leaves out what the gateway would refuse, and its size says so.
        Assert.DoesNotContain(space.All(), c => !c.IsValid);
        Assert.Equal(space.All().Count(), space.Count);
    }

    [Fact]
    public void Nearest_to_an_unset_plan_is_unset_when_the_space_holds_it_else_the_size_nearest_llama_servers_default()
    {
        var plan = TableCandidateRunner.Plan;

        Assert.Null(Space.Nearest(plan).BatchSize);
        var nearest = (Space with { BatchSizes = [256, 1024], MicroBatchSizes = [512, 2048] }).Nearest(plan);
        Assert.Equal((1024, 512), (nearest.BatchSize, nearest.MicroBatchSize));
        // The nearest micro-batch (512) would be above the only batch (256): the nearest that fits instead.
        Assert.Equal(128, (Space with { BatchSizes = [256], MicroBatchSizes = [128, 512] }).Nearest(plan).MicroBatchSize);
    }

    [Theory]
    [InlineData("--kv-cache-types", "f16,q3", "--kv-cache-types: 'q3' is not one of default, f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1")]
    [InlineData("--cache-prompt", "yes", "--cache-prompt: 'yes' is not one of default, true, false")]
    [InlineData("--backends", "Auto,Turbo", "--backends: 'Turbo' is not one of default, Auto, CgroupV2, CgroupV1, Scheduler, WindowsJob, Cpulimit, None")]
    [InlineData("--batch-sizes", "default,0", "--batch-sizes must be a comma-separated list of 'default' and whole numbers 1 to 1048576, not 'default,0'")]
    [InlineData("--micro-batch-sizes", "512,many", "--micro-batch-sizes must be a comma-separated list of 'default' and whole numbers 1 to 1048576")]
    [InlineData("--micro-batch-sizes", "4096", "--micro-batch-sizes: every one of '4096' is above every --batch-sizes value '256,1024'")]
    public void Bad_lists_are_refused_naming_the_option(string option, string value, string message)
    {
        var settings = option switch
        {
            "--kv-cache-types" => new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"], KvCacheTypes = value },
            "--cache-prompt" => new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"], CachePrompt = value },
            "--backends" => new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"], Backends = value },
            "--batch-sizes" => new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"], BatchSizes = value },
            _ => new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"], MicroBatchSizes = value, BatchSizes = "256,1024" },
        };

        var result = settings.Validate();

        Assert.False(result.Successful);
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lists_become_the_space_default_as_unset_and_names_as_the_gateway_spells_them()
    {
        var settings = new TuneSettings
        {
            Workload = "w.jsonl", Models = ["/models/m.gguf"],
            BatchSizes = "default,256", MicroBatchSizes = "128", KvCacheTypes = "default,Q8_0", CachePrompt = "true,false", Backends = "cpulimit",
        };

        Assert.True(settings.Validate().Successful, settings.Validate().Message);
        var space = settings.Space();
        Assert.Equal([null, 256], space.BatchSizes);
        Assert.Equal([128], space.MicroBatchSizes);
        Assert.Equal([null, "q8_0"], space.KvCacheTypes);
        Assert.Equal([true, false], space.CachePrompt);
        Assert.Equal(["Cpulimit"], space.Backends);

        // The defaults search what was searched before these options existed.
        var plain = new TuneSettings { Workload = "w.jsonl", Models = ["/models/m.gguf"] }.Space();
        Assert.Equal([null], plain.BatchSizes);
        Assert.Equal([null], plain.MicroBatchSizes);
        Assert.Equal([null], plain.KvCacheTypes);
        Assert.Equal([null], plain.CachePrompt);
        Assert.Equal([null], plain.Backends);
    }
}
