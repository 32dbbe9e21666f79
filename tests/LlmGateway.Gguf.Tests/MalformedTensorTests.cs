namespace LlmGateway.Gguf.Tests;

public sealed class MalformedTensorTests
{
    [Theory]
    [InlineData(4u)]
    [InlineData(31u)]
    [InlineData(43u)]
    public void Read_UnknownTensorType_FailsNamingTensorAndType(uint type)
    {
        var bytes = RawGguf.Header(1, 0).Tensor("blk.0.attn_q.weight", [32], (GgmlType)type, 0).PadTo(32).Zeros(256).ToArray();

        GgufAssert.ReadFails(bytes, $"tensor \"blk.0.attn_q.weight\" has unknown type {type}");
    }

    [Fact]
    public void Read_TensorWithFiveDimensions_Fails()
    {
        var bytes = RawGguf.Header(1, 0).Tensor("t", [1, 1, 1, 1, 1], GgmlType.F32, 0).PadTo(32).Zeros(32).ToArray();

        GgufAssert.ReadFails(bytes, "tensor \"t\" has 5 dimensions; 1 to 4 are allowed");
    }

    [Fact]
    public void Read_TensorWithZeroDimension_Fails()
    {
        var bytes = RawGguf.Header(1, 0).Tensor("t", [4, 0], GgmlType.F32, 0).PadTo(32).Zeros(32).ToArray();

        GgufAssert.ReadFails(bytes, "tensor \"t\" has dimension 1 of 0");
    }

    [Fact]
    public void Read_TensorRowNotAMultipleOfTheBlockSize_Fails()
    {
        var bytes = RawGguf.Header(1, 0).Tensor("t", [100], GgmlType.Q4_K, 0).PadTo(32).Zeros(256).ToArray();

        GgufAssert.ReadFails(bytes, "not a multiple of the Q4_K block size 256");
    }

    [Fact]
    public void Read_TensorDataBeyondTheEndOfTheFile_FailsAsTruncated()
    {
        // A complete file with one 64-byte tensor, cut 16 bytes short.
        var whole = GgufBytes.Write(new GgufWriter().AddFilledTensor("output.weight", GgmlType.F32, [16], fill: 1));
        var bytes = whole[..^16];

        GgufAssert.ReadFails(bytes, $"truncated: tensor \"output.weight\" needs bytes up to {whole.Length} but the file has {bytes.Length}");
    }

    [Fact]
    public void Read_TensorOffsetFarBeyondTheFile_FailsAsTruncated()
    {
        var bytes = RawGguf.Header(1, 0).Tensor("t", [8], GgmlType.F32, ulong.MaxValue - 31).PadTo(32).Zeros(32).ToArray();

        GgufAssert.ReadFails(bytes, "truncated: tensor \"t\"");
    }

    [Fact]
    public void Read_MisalignedTensorOffset_Fails()
    {
        var bytes = RawGguf.Header(2, 0)
            .Tensor("a", [4], GgmlType.F32, 0)
            .Tensor("b", [4], GgmlType.F32, 16)
            .PadTo(32).Zeros(64).ToArray();

        GgufAssert.ReadFails(bytes, "tensor \"b\" data offset 16 is not aligned to 32");
    }

    [Fact]
    public void Read_OffsetAlignedTo32ButNotToCustomAlignment_Fails()
    {
        var bytes = RawGguf.Header(1, 1)
            .Key(GgufFile.AlignmentKey, GgufValueType.UInt32).UInt32(64)
            .Tensor("t", [4], GgmlType.F32, 32)
            .PadTo(64).Zeros(128).ToArray();

        GgufAssert.ReadFails(bytes, "data offset 32 is not aligned to 64");
    }

    [Fact]
    public void Read_DuplicateTensorName_Fails()
    {
        var bytes = RawGguf.Header(2, 0)
            .Tensor("t", [8], GgmlType.F32, 0)
            .Tensor("t", [8], GgmlType.F32, 32)
            .PadTo(32).Zeros(64).ToArray();

        GgufAssert.ReadFails(bytes, "duplicate tensor \"t\"");
    }

    [Fact]
    public void Read_TensorShapeOverflowingUInt64_FailsAsAbsurdShape()
    {
        var bytes = RawGguf.Header(1, 0).Tensor("t", [1UL << 40, 1UL << 40], GgmlType.F32, 0).PadTo(32).Zeros(32).ToArray();

        GgufAssert.ReadFails(bytes, "tensor \"t\" has an absurd shape");
    }
}
