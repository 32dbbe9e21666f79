using LlmGateway.Gguf;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;

namespace LlmGateway.Tests;

/// <summary>The prompt cache (--cache-ram) is what the memory budget leaves after the model, the KV cache and the reserve.</summary>
public sealed class MemoryPlannerTests
{
    private const long MiB = 1 << 20;
    private const long GiB = 1L << 30;

    // Qwen2.5-0.5B's shape: 24 layers, 2 KV heads of 64 for keys and 64 for values: 24 x 2 x 128 = 6144 f16 values per cell.
    private static readonly KvCacheShape Qwen05B = new(24, 6144);

    [Fact]
    public void Budget_LeavesThePromptCacheWhatTheModelKvCacheAndReserveDoNotTake()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1 * GiB }, 100 * MiB, Qwen05B, 4096, 1, 64 * GiB, null);

        Assert.Equal(4096 * 12288L, plan.KvCacheBytes); // 48 MiB
        Assert.Equal(1024 - 512 - 100 - 48, plan.PromptCacheMib);
        Assert.Equal(("Memory:BudgetBytes", "derived"), (plan.BudgetSource, plan.PromptCacheSource));
        Assert.Equal(["--cache-ram", "364"], plan.ToArguments());
    }

    [Fact]
    public void BudgetSmallerThanModelAndKvCache_TurnsThePromptCacheOff_NeverBelowZero()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 600 * MiB }, 400 * MiB, Qwen05B, 4096, 1, 64 * GiB, null);

        Assert.Equal(0, plan.PromptCacheMib);
        Assert.Equal(["--cache-ram", "0"], plan.ToArguments());
    }

    [Theory]
    [InlineData(64L << 30, 6L << 30, "default: 6 GiB")] // a large machine: the invisible target
    [InlineData(8L << 30, 2L << 30, "default: a quarter of RAM")] // a laptop: a quarter of it
    public void NoBudget_DefaultsToSixGibOrAQuarterOfRam_WhicheverIsSmaller(long machine, long expected, string source)
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions(), 400 * MiB, Qwen05B, 4096, 1, machine, null);

        Assert.Equal((expected, source), (plan.BudgetBytes, plan.BudgetSource));
        Assert.Equal((expected - 512 * MiB - 400 * MiB - 48 * MiB) / MiB, plan.PromptCacheMib);
    }

    [Fact]
    public void NoBudget_UnderACgroupHardLimit_SizesTheChildToTheLimit()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions(), 400 * MiB, Qwen05B, 4096, 1, 64 * GiB, 1 * GiB);

        Assert.Equal(1 * GiB + 512 * MiB, plan.BudgetBytes);
        Assert.Equal(1024 - 400 - 48, plan.PromptCacheMib);
    }

    [Fact]
    public void PromptCacheMiB_IsTakenAsGiven()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1 * GiB, PromptCacheMiB = 32 }, 100 * MiB, Qwen05B, 4096, 1, 64 * GiB, null);

        Assert.Equal((32, "Memory:PromptCacheMiB"), (plan.PromptCacheMib, plan.PromptCacheSource));
    }

    [Fact]
    public void UnknownKvShape_IsNotEstimated_AndOnlyTheModelAndReserveAreTaken()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1 * GiB }, 100 * MiB, null, 4096, 1, 64 * GiB, null);

        Assert.Null(plan.KvCacheBytes);
        Assert.Equal(1024 - 512 - 100, plan.PromptCacheMib);
    }

    [Theory]
    [InlineData(4096, 1, 4096)]
    [InlineData(4096, 2, 4096)]
    [InlineData(4096, 3, 4608)] // 1365 per slot, padded to 1536, as llama_context does
    [InlineData(100, 1, 256)]
    public void KvCells_SplitTheContextOverTheSlots_PaddedTo256(int context, int parallel, long cells) =>
        Assert.Equal(cells, MemoryPlanner.KvCells(context, parallel));

    [Fact]
    public void KvShape_OfTheTinyModel_ComesFromItsGgufFacts()
    {
        // tiny: 2 layers, embedding 128 over 4 heads (32 each), 2 KV heads: 2 x 2 x (32 + 32) = 256 values per cell.
        var shape = KvCacheShape.From(GgufReader.Read(TestEnvironment.TinyModel));

        Assert.Equal(new KvCacheShape(2, 256), shape);
        Assert.Equal(512, shape!.BytesPerCell);
    }

    [Fact]
    public void KvShape_WithKvHeadsPerLayer_SumsTheLayers_AndExplicitKeyValueLengthsWin()
    {
        // A model mixing attention kinds: layers without KV heads (recurrent) hold no KV cache.
        var file = new GgufFile(3,
        [
            new("general.architecture", GgufValue.String("hybrid")),
            new("hybrid.block_count", GgufValue.UInt32(4)),
            new("hybrid.embedding_length", GgufValue.UInt32(1024)),
            new("hybrid.attention.head_count", GgufValue.UInt32(8)),
            new("hybrid.attention.head_count_kv", GgufValue.Array(GgufArray.Of(2, 0, 2, 0))),
            new("hybrid.attention.key_length", GgufValue.UInt32(256)),
            new("hybrid.attention.value_length", GgufValue.UInt32(128)),
        ], [], 0, 0);

        Assert.Equal(new KvCacheShape(4, 2 * 2 * (256 + 128)), KvCacheShape.From(file));
    }

    [Fact]
    public void LlamaServerArguments_CarryTheDerivedCacheRam()
    {
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1 * GiB }, 100 * MiB, Qwen05B, 4096, 1, 64 * GiB, null);
        var model = new ServedModel("/m.gguf", "m", [], new GgufModelInfo("qwen2", null, null, null, null, "Q8_0", 0, 100 * MiB, false), false);
        var cpu = LlmGateway.Cpu.CpuPlanner.Plan(new LlmGateway.Cpu.CpuOptions(), [0, 1], null);

        var args = LlamaServerCommand.Arguments(new LlamaServerOptions(), model, new LlamaServerEndpoint("/s.sock", "k", 1), cpu, plan);

        Assert.Equal("364", args[args.ToList().IndexOf("--cache-ram") + 1]);
    }

    [Theory]
    [InlineData(1000L, null, null, "Memory:BudgetBytes must be at least 67108864")]
    [InlineData(1L << 30, 2L << 30, null, "Memory:ReserveBytes must be 0 or more and below Memory:BudgetBytes")]
    [InlineData(null, -1L, null, "Memory:ReserveBytes must be 0 or more")]
    [InlineData(null, null, -1, "Memory:PromptCacheMiB must be 0 (off) to 1048576")]
    public void BadMemorySettings_AreRefused_NamingTheSetting(long? budget, long? reserve, int? cache, string message)
    {
        var options = new MemoryOptions { BudgetBytes = budget, PromptCacheMiB = cache };
        if (reserve is { } r)
        {
            options.ReserveBytes = r;
        }

        var result = new MemoryOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheRamInExtraArguments_IsRefused_PointingAtTheMemorySettings()
    {
        var result = new LlamaServerOptionsValidator().Validate(null, new LlamaServerOptions { ExtraArguments = ["--cache-ram", "100"] });

        Assert.Contains("LlamaServer:ExtraArguments must not set --cache-ram", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Memory:BudgetBytes", result.FailureMessage, StringComparison.Ordinal);
    }
}
