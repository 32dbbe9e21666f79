using LlmGateway.Cpu;
using LlmGateway.Gguf;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;

namespace LlmGateway.Tests.Units;

/// <summary>llama-server's command line from LlamaServer's settings: each of batch, micro-batch, KV cache type and prompt caching only when set.</summary>
public sealed class LlamaServerCommandTests
{
    private static readonly ServedModel Model =
        new("/m.gguf", "m", [], new GgufModelInfo("qwen2", null, null, null, null, "Q8_0", 0, 1 << 20, false), false);

    private static IReadOnlyList<string> Arguments(LlamaServerOptions o) =>
        LlamaServerCommand.Arguments(o, Model, new LlamaServerEndpoint("/s.sock", "k", 1), CpuPlanner.Plan(new CpuOptions(), [0, 1], null),
            MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1L << 30 }, 1 << 20, null, 4096, 1, 1L << 36, null));

    [Fact]
    public void Defaults_PassNoneOfTheBatchCacheTypeOrPromptCacheFlags_LeavingLlamaServersOwn()
    {
        var args = Arguments(new LlamaServerOptions());

        foreach (var flag in new[] { "--batch-size", "--ubatch-size", "--cache-type-k", "--cache-type-v", "--no-cache-prompt", "--cache-prompt", "--flash-attn" })
        {
            Assert.DoesNotContain(flag, args);
        }
    }

    [Theory]
    [InlineData(1.0, 8, 8)]
    [InlineData(0.5, 8, 4)]
    [InlineData(0.25, 6, 2)] // 1.5 rounds up
    [InlineData(0.1, 4, 1)] // at least one
    public void ModelsThreads_AreItsShareOfThePlans(double share, int planThreads, int threads)
    {
        var plan = CpuPlanner.Plan(new CpuOptions { Profile = CpuProfile.Custom, BudgetPercent = 100, Threads = planThreads, ThreadsBatch = planThreads }, [.. Enumerable.Range(0, 8)], null);

        var args = LlamaServerCommand.Arguments(new LlamaServerOptions(), Model, new LlamaServerEndpoint("/s.sock", "k", 1), plan,
            MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1L << 30 }, 1 << 20, null, 4096, 1, 1L << 36, null), group: new ChildGroup("0-m", 100, share));

        Assert.Equal(threads.ToString(System.Globalization.CultureInfo.InvariantCulture), After(args, "--threads"));
        Assert.Equal(threads.ToString(System.Globalization.CultureInfo.InvariantCulture), After(args, "--threads-batch"));
    }

    [Fact]
    public void SetValues_ArePassedAsLlamaServersFlags_TheKvTypeForKeysAndValuesBoth()
    {
        var args = Arguments(new LlamaServerOptions { BatchSize = 64, MicroBatchSize = 32, KvCacheType = "Q8_0", CachePrompt = false });

        Assert.Equal("64", After(args, "--batch-size"));
        Assert.Equal("32", After(args, "--ubatch-size"));
        Assert.Equal("q8_0", After(args, "--cache-type-k")); // llama-server's spelling, whatever the setting's case
        Assert.Equal("q8_0", After(args, "--cache-type-v"));
        Assert.Contains("--no-cache-prompt", args);
    }

    [Fact]
    public void ExtraArguments_StillComeLast_AfterTheManagedFlags()
    {
        var args = Arguments(new LlamaServerOptions { BatchSize = 256, ExtraArguments = ["--mlock"] });

        Assert.Equal("--mlock", args[^1]);
        Assert.True(args.ToList().IndexOf("--batch-size") < args.Count - 1);
    }

    [Theory]
    [InlineData(null, 4096L * 512)] // f16: 2 bytes a value
    [InlineData("f16", 4096L * 512)]
    [InlineData("bf16", 4096L * 512)]
    [InlineData("f32", 4096L * 1024)]
    [InlineData("q8_0", 4096L * 256 * 34 / 32)]
    [InlineData("q4_0", 4096L * 256 * 18 / 32)]
    [InlineData("q5_1", 4096L * 256 * 24 / 32)]
    public void KvCacheEstimate_FollowsTheKvCacheType(string? type, long bytes)
    {
        // The tiny model's shape: 2 layers, 256 key and value values a cell.
        var plan = MemoryPlanner.Plan(new MemoryOptions { BudgetBytes = 1L << 30 }, 1 << 20, new KvCacheShape(2, 256), 4096, 1, 1L << 36, null, type);

        Assert.Equal(bytes, plan.KvCacheBytes);
    }

    private static string After(IReadOnlyList<string> args, string flag) => args[args.ToList().IndexOf(flag) + 1];
}
