namespace LlmGateway.Gguf.Tests;

public sealed class WriterValidationTests
{
    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(0)]
    public void WriteTo_TensorCallbackWritingWrongByteCount_ThrowsNamingTheTensor(int count)
    {
        var writer = new GgufWriter().AddTensor("blk.0.weight", [8], GgmlType.F32, s => s.Write(new byte[count]));

        var e = Assert.Throws<InvalidOperationException>(() => GgufBytes.Write(writer));

        Assert.Contains("\"blk.0.weight\"", e.Message);
        Assert.Contains($"wrote {count} bytes", e.Message);
        Assert.Contains("need 32", e.Message);
    }

    [Fact]
    public void Add_DuplicateKey_Throws()
    {
        var writer = new GgufWriter().Add("general.name", GgufValue.String("a"));

        var e = Assert.Throws<ArgumentException>(() => writer.Add("general.name", GgufValue.String("b")));

        Assert.Contains("\"general.name\"", e.Message);
    }

    [Fact]
    public void AddTensor_DuplicateName_Throws()
    {
        var writer = new GgufWriter().AddFilledTensor("output.weight", GgmlType.F32, [4]);

        var e = Assert.Throws<ArgumentException>(() => writer.AddFilledTensor("output.weight", GgmlType.F16, [4]));

        Assert.Contains("\"output.weight\"", e.Message);
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 100UL)]
    [InlineData(GgmlType.Q4_K, 32UL)]
    [InlineData(GgmlType.Q8_0, 33UL)]
    [InlineData(GgmlType.Q4_0, 16UL)]
    public void AddTensor_RowNotAMultipleOfTheBlockSize_Throws(GgmlType type, ulong rowLength)
    {
        var e = Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("w", [rowLength, 2], type, _ => { }));

        Assert.Contains($"{type} block size", e.Message);
    }

    [Theory]
    [InlineData(new ulong[0])]
    [InlineData(new ulong[] { 4, 0 })]
    [InlineData(new ulong[] { 1, 1, 1, 1, 1 })]
    public void AddTensor_NoZeroOrTooManyDimensions_Throws(ulong[] shape)
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("w", shape, GgmlType.F32, _ => { }));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(48u)]
    public void Add_AlignmentNotAPowerOfTwo_Throws(uint alignment)
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add(GgufFile.AlignmentKey, GgufValue.UInt32(alignment)));
    }

    [Fact]
    public void Add_AlignmentOfAnotherType_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add(GgufFile.AlignmentKey, GgufValue.UInt64(64)));
    }

    [Fact]
    public void GgufArray_ItemsOfTheWrongClrType_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GgufArray(GgufValueType.UInt32, new[] { 1, 2 }));
    }
}
