using System.Diagnostics;

namespace LlmGateway.Gguf.Tests;

/// <summary>Counts and lengths a hostile file claims must be checked against its size before anything is allocated.</summary>
public sealed class HugeCountTests
{
    private const long AllocationBudget = 1 << 20;

    // 2^60 and friends cannot be allocated at all; the moderate counts (hundreds of MB) could be, and
    // would pass unnoticed in a reader that allocated before checking, were it not for the budget.
    [Theory]
    [InlineData(1UL << 60)]
    [InlineData(50_000_000UL)]
    public void Read_FileClaimingHugeKeyCount_FailsWithoutAllocating(ulong count)
    {
        var bytes = RawGguf.Header(0, count).Key("general.name", GgufValueType.UInt8).Bytes([1]).ToArray();

        FailsCheaply(bytes, $"claims {count} metadata keys but only 25 bytes follow");
    }

    [Theory]
    [InlineData(1UL << 60)]
    [InlineData(50_000_000UL)]
    public void Read_FileClaimingHugeTensorCount_FailsWithoutAllocating(ulong count)
    {
        var bytes = RawGguf.Header(count, 0).Tensor("t", [8], GgmlType.F32, 0).ToArray();

        FailsCheaply(bytes, $"claims {count} tensors but only 33 bytes follow");
    }

    [Theory]
    [InlineData(1UL << 40)]
    [InlineData(200_000_000UL)]
    public void Read_StringClaimingHugeLength_FailsWithoutAllocating(ulong length)
    {
        var bytes = RawGguf.Header(0, 1).Key("tokenizer.chat_template", GgufValueType.String).UInt64(length).Bytes("{%"u8).ToArray();

        FailsCheaply(bytes, $"string value of {length} bytes runs past the end of the file (2 bytes left)");
    }

    [Theory]
    [InlineData(GgufValueType.UInt8, 1UL << 62)]
    [InlineData(GgufValueType.Int32, 100_000_000UL)]
    [InlineData(GgufValueType.String, 100_000_000UL)]
    [InlineData(GgufValueType.Array, 100_000_000UL)]
    public void Read_ArrayClaimingHugeCount_FailsWithoutAllocating(GgufValueType elementType, ulong count)
    {
        var bytes = RawGguf.Header(0, 1)
            .Key("tokenizer.ggml.tokens", GgufValueType.Array).UInt32((uint)elementType).UInt64(count)
            .Zeros(64).ToArray();

        FailsCheaply(bytes, $"claims {count} {elementType} array elements but only 64 bytes follow");
    }

    private static void FailsCheaply(byte[] bytes, string problem)
    {
        // A first read pays for JIT compilation and type loading, which are not what is measured.
        GgufAssert.ReadFails(bytes, problem);

        var stream = new MemoryStream(bytes);
        GgufFormatException? failure = null;
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            GgufReader.Read(stream, GgufAssert.CorruptName);
        }
        catch (GgufFormatException e)
        {
            failure = e;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        clock.Stop();

        Assert.NotNull(failure);
        Assert.Contains(problem, failure.Message);
        Assert.True(allocated < AllocationBudget, $"Reading allocated {allocated} bytes before failing.");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Reading took {clock.Elapsed} to fail.");
    }
}
