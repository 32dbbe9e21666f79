namespace LlmGateway.Gguf.Tests;

public sealed class MalformedFileTests
{
    [Fact]
    public void Read_WrongMagic_FailsNamingTheMagic()
    {
        var bytes = RawGguf.Header(0, 0).ToArray();
        "GGML"u8.CopyTo(bytes);

        var e = GgufAssert.ReadFails(bytes, "wrong magic");

        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Read_EmptyFile_FailsAsWrongMagic()
    {
        GgufAssert.ReadFails([], "wrong magic");
    }

    [Fact]
    public void Read_Version1_FailsAsUnsupported()
    {
        var e = GgufAssert.ReadFails(RawGguf.Header(0, 0, version: 1).ToArray(), "unsupported version 1;");

        Assert.DoesNotContain("big-endian", e.Message);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void Read_BigEndianVersion_FailsWithBigEndianHint()
    {
        // gguf-py writes the magic little-endian even in big-endian files; the version gives them away.
        var bytes = new RawGguf().Bytes("GGUF"u8).Bytes([0, 0, 0, 3]).Zeros(16).ToArray();

        GgufAssert.ReadFails(bytes, "a big-endian file");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(23)]
    public void Read_TruncatedHeader_FailsAsTruncated(int length)
    {
        var bytes = RawGguf.Header(0, 1).ToArray()[..length];

        GgufAssert.ReadFails(bytes, "truncated");
    }

    [Fact]
    public void Read_FileEndingInsideAStringValue_FailsNamingTheString()
    {
        var bytes = RawGguf.Header(0, 1).Key("general.name", GgufValueType.String).UInt64(20).Bytes("Qwen2"u8).ToArray();

        GgufAssert.ReadFails(bytes, "string value of 20 bytes runs past the end of the file (5 bytes left)");
    }

    [Fact]
    public void Read_FileEndingInsideAKey_FailsNamingTheKey()
    {
        var bytes = RawGguf.Header(0, 1).UInt64(20).Bytes("general.arc"u8).ToArray();

        GgufAssert.ReadFails(bytes, "metadata key of 20 bytes runs past the end");
    }

    [Fact]
    public void Read_FileEndingBeforeAValue_FailsAsTruncated()
    {
        var bytes = RawGguf.Header(0, 1).Key("llama.block_count", GgufValueType.UInt32).Zeros(2).ToArray();

        GgufAssert.ReadFails(bytes, "truncated: needs 4 more bytes");
    }

    [Theory]
    [InlineData(13u)]
    [InlineData(0xFFFF_FFFFu)]
    public void Read_UnknownValueType_FailsNamingTheType(uint type)
    {
        var bytes = RawGguf.Header(0, 1).String("general.name").UInt32(type).Zeros(16).ToArray();

        GgufAssert.ReadFails(bytes, $"unknown value type {type}");
    }

    [Fact]
    public void Read_UnknownArrayElementType_FailsNamingTheType()
    {
        var bytes = RawGguf.Header(0, 1).Key("tokenizer.ggml.tokens", GgufValueType.Array).UInt32(42).UInt64(1).Zeros(16).ToArray();

        GgufAssert.ReadFails(bytes, "unknown value type 42");
    }

    [Fact]
    public void Read_BoolValueTwo_Fails()
    {
        var bytes = RawGguf.Header(0, 1).Key("general.flag", GgufValueType.Bool).Bytes([2]).ToArray();

        var e = GgufAssert.ReadFails(bytes, "bool value 2 is neither 0 nor 1");

        Assert.Equal(bytes.Length - 1, e.Offset);
    }

    [Fact]
    public void Read_DuplicateKey_FailsNamingTheKey()
    {
        var bytes = RawGguf.Header(0, 2)
            .Key("general.name", GgufValueType.UInt8).Bytes([1])
            .Key("general.name", GgufValueType.UInt8).Bytes([2])
            .ToArray();

        GgufAssert.ReadFails(bytes, "duplicate metadata key \"general.name\"");
    }

    [Fact]
    public void Read_ArraysNestedDeeperThanTheLimit_Fails()
    {
        var bytes = GgufBytes.Write(new GgufWriter()
            .Add("deep", GgufValue.Array(ArrayRoundTripTests.Nested(GgufReader.MaxArrayNesting + 1))));

        GgufAssert.ReadFails(bytes, $"arrays nested deeper than {GgufReader.MaxArrayNesting} levels");
    }

    [Theory]
    [InlineData(GgufValueType.UInt32, 48UL)]
    [InlineData(GgufValueType.UInt32, 0UL)]
    [InlineData(GgufValueType.UInt64, 32UL)]
    public void Read_AlignmentNotAUInt32PowerOfTwo_Fails(GgufValueType type, ulong alignment)
    {
        var raw = RawGguf.Header(0, 1).Key(GgufFile.AlignmentKey, type);
        var bytes = (type == GgufValueType.UInt32 ? raw.UInt32((uint)alignment) : raw.UInt64(alignment)).ToArray();

        GgufAssert.ReadFails(bytes, $"{GgufFile.AlignmentKey} must be a uint32 power of two, found {type} {alignment}");
    }

    [Fact]
    public void Read_NonExistentPath_FailsNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.gguf");

        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Equal(path, e.File);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("cannot be opened", e.Message);
    }

    [Fact]
    public void Read_DirectoryPath_FailsNamingThePath()
    {
        var path = Path.GetTempPath();

        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.StartsWith(path + ": ", e.Message);
    }
}
