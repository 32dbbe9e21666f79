namespace LlmGateway.Gguf.Tests;

public sealed class TensorRoundTripTests
{
    // Sizes 204, 20, 288 and 24 bytes: none is a multiple of 32, so every tensor after the first needs padding.
    private static readonly (string Name, ulong[] Shape, GgmlType Type)[] Tensors =
    [
        ("token_embd.weight", [64, 3], GgmlType.Q8_0),
        ("output_norm.weight", [5], GgmlType.F32),
        ("blk.0.attn_q.weight", [256, 2], GgmlType.Q4_K),
        ("blk.0.ffn_norm.weight", [3, 2, 1, 2], GgmlType.F16),
    ];

    [Theory]
    [InlineData(null)]
    [InlineData(64u)]
    [InlineData(8u)]
    public void Write_TensorsOfSeveralTypes_PlacesEachTensorsBytesAtItsAlignedOffset(uint? customAlignment)
    {
        var writer = new GgufWriter().Add("general.architecture", GgufValue.String("llama"));
        if (customAlignment is { } a)
        {
            writer.Add(GgufFile.AlignmentKey, GgufValue.UInt32(a));
        }

        var data = Tensors.Select((t, i) => Pattern(new GgufTensorInfo(t.Name, t.Shape, t.Type, 0).ByteSize, seed: i)).ToArray();
        for (var i = 0; i < Tensors.Length; i++)
        {
            var bytes = data[i];
            writer.AddTensor(Tensors[i].Name, Tensors[i].Shape, Tensors[i].Type, s => s.Write(bytes));
        }

        var written = GgufBytes.Write(writer);
        var file = GgufBytes.Read(written);

        var alignment = customAlignment ?? GgufFile.DefaultAlignment;
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(0, file.DataOffset % alignment);
        Assert.Equal(written.Length, file.FileLength);
        Assert.Equal(Tensors.Length, file.Tensors.Count);
        ulong expectedOffset = 0;
        for (var i = 0; i < Tensors.Length; i++)
        {
            var tensor = file.Tensors[i];
            Assert.Equal(Tensors[i].Name, tensor.Name);
            Assert.Equal(Tensors[i].Shape, tensor.Shape);
            Assert.Equal(Tensors[i].Type, tensor.Type);
            Assert.Equal(expectedOffset, tensor.Offset);
            Assert.Equal((ulong)data[i].Length, tensor.ByteSize);
            Assert.Equal(data[i], written.AsSpan((int)(file.DataOffset + (long)tensor.Offset), data[i].Length).ToArray());
            expectedOffset = (ulong)GgufBytes.AlignUp((long)(tensor.Offset + tensor.ByteSize), alignment);
        }

        // The writer pads after the last tensor too, as llama.cpp's gguf_write_to_file does.
        Assert.Equal(file.DataOffset + (long)expectedOffset, written.Length);
    }

    [Theory]
    [InlineData(GgmlType.F32, new ulong[] { 7 }, 28UL)]
    [InlineData(GgmlType.F16, new ulong[] { 7, 3 }, 42UL)]
    [InlineData(GgmlType.Q8_0, new ulong[] { 32, 2 }, 68UL)]
    [InlineData(GgmlType.Q4_K, new ulong[] { 512 }, 288UL)]
    [InlineData(GgmlType.Q6_K, new ulong[] { 256, 1, 1 }, 210UL)]
    public void ByteSize_OfEachType_IsBlocksTimesBlockBytes(GgmlType type, ulong[] shape, ulong expected)
    {
        Assert.Equal(expected, new GgufTensorInfo("t", shape, type, 0).ByteSize);
    }

    [Fact]
    public void Write_NoTensors_EndsAtTheAlignedDataOffset()
    {
        var written = GgufBytes.Write(new GgufWriter().Add("general.architecture", GgufValue.String("x")));

        var file = GgufBytes.Read(written);

        Assert.Empty(file.Tensors);
        Assert.Equal(written.Length, file.DataOffset);
        Assert.Equal(0, written.Length % GgufFile.DefaultAlignment);
    }

    private static byte[] Pattern(ulong size, int seed) =>
        Enumerable.Range(0, (int)size).Select(i => (byte)(i * 31 + seed * 17 + 1)).ToArray();
}
