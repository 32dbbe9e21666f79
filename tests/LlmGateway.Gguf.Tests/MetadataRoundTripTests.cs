using System.Buffers.Binary;
using System.Text;

namespace LlmGateway.Gguf.Tests;

public sealed class MetadataRoundTripTests
{
    private const string NonAscii = "Grüße, 世界 🦙";

    private static readonly KeyValuePair<string, GgufValue>[] Scalars =
    [
        new("u8.min", GgufValue.UInt8(byte.MinValue)),
        new("u8.max", GgufValue.UInt8(byte.MaxValue)),
        new("i8.min", GgufValue.Int8(sbyte.MinValue)),
        new("i8.max", GgufValue.Int8(sbyte.MaxValue)),
        new("u16.min", GgufValue.UInt16(ushort.MinValue)),
        new("u16.max", GgufValue.UInt16(ushort.MaxValue)),
        new("i16.min", GgufValue.Int16(short.MinValue)),
        new("i16.max", GgufValue.Int16(short.MaxValue)),
        new("u32.min", GgufValue.UInt32(uint.MinValue)),
        new("u32.max", GgufValue.UInt32(uint.MaxValue)),
        new("i32.min", GgufValue.Int32(int.MinValue)),
        new("i32.max", GgufValue.Int32(int.MaxValue)),
        new("f32.min", GgufValue.Float32(float.MinValue)),
        new("f32.max", GgufValue.Float32(float.MaxValue)),
        new("f32.epsilon", GgufValue.Float32(float.Epsilon)),
        new("f32.nan", GgufValue.Float32(float.NaN)),
        new("f32.-inf", GgufValue.Float32(float.NegativeInfinity)),
        new("bool.false", GgufValue.Bool(false)),
        new("bool.true", GgufValue.Bool(true)),
        new("string.empty", GgufValue.String("")),
        new("string.ascii", GgufValue.String("llama")),
        new("string.non_ascii", GgufValue.String(NonAscii)),
        new("u64.min", GgufValue.UInt64(ulong.MinValue)),
        new("u64.max", GgufValue.UInt64(ulong.MaxValue)),
        new("i64.min", GgufValue.Int64(long.MinValue)),
        new("i64.max", GgufValue.Int64(long.MaxValue)),
        new("f64.min", GgufValue.Float64(double.MinValue)),
        new("f64.max", GgufValue.Float64(double.MaxValue)),
        new("f64.epsilon", GgufValue.Float64(double.Epsilon)),
        new("f64.nan", GgufValue.Float64(double.NaN)),
    ];

    [Fact]
    public void Write_EveryScalarTypeAtItsExtremes_ReadsBackSameTypeAndValue()
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in Scalars)
        {
            writer.Add(key, value);
        }

        var file = GgufBytes.RoundTrip(writer);

        // Tuples compare with object.Equals: the CLR type must match too, and NaN equals NaN.
        Assert.Equal(
            Scalars.Select(kv => (kv.Key, kv.Value.Type, kv.Value.Value.GetType(), kv.Value.Value)),
            file.Metadata.Select(kv => (kv.Key, kv.Value.Type, kv.Value.Value.GetType(), kv.Value.Value)));
        Assert.Equal(GgufWriter.Version, file.Version);
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Write_EveryValueType_IsCoveredByTheScalarRoundTrip()
    {
        var covered = Scalars.Select(kv => kv.Value.Type).ToHashSet();

        Assert.Equal(Enum.GetValues<GgufValueType>().Where(t => t != GgufValueType.Array), covered.Order());
    }

    [Fact]
    public void Write_FloatNaNWithPayload_ReadsBackSameBits()
    {
        var nan32 = BitConverter.Int32BitsToSingle(0x7FC0_1234);
        var nan64 = BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF);

        var file = GgufBytes.RoundTrip(new GgufWriter()
            .Add("a", GgufValue.Float32(nan32))
            .Add("b", GgufValue.Float64(nan64)));

        Assert.Equal(0x7FC0_1234, BitConverter.SingleToInt32Bits((float)file.Metadata[0].Value.Value));
        Assert.Equal(0x7FF8_0000_DEAD_BEEF, BitConverter.DoubleToInt64Bits((double)file.Metadata[1].Value.Value));
    }

    [Fact]
    public void Write_NonAsciiString_StoresItsUtf8ByteLength()
    {
        var bytes = GgufBytes.Write(new GgufWriter().Add("k", GgufValue.String(NonAscii)));

        // Header (24) + key length (8) + "k" (1) + value type (4), then the string's length prefix.
        var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(37));
        Assert.Equal((ulong)Encoding.UTF8.GetByteCount(NonAscii), length);
        Assert.NotEqual((ulong)NonAscii.Length, length);
        Assert.Equal(NonAscii, GgufBytes.Read(bytes).GetString("k"));
    }

    [Fact]
    public void Write_NonAsciiKey_ReadsBackSameKey()
    {
        var file = GgufBytes.RoundTrip(new GgufWriter().Add("général.nom", GgufValue.UInt8(1)));

        Assert.Equal("général.nom", Assert.Single(file.Metadata).Key);
    }

    [Fact]
    public void Write_KeysInAnyOrder_ReadsBackInTheSameOrder()
    {
        string[] keys = ["zeta", "alpha", "general.architecture", "mu", "beta.gamma", "a"];
        var writer = new GgufWriter();
        for (var i = 0; i < keys.Length; i++)
        {
            writer.Add(keys[i], GgufValue.Int32(i));
        }

        var file = GgufBytes.RoundTrip(writer);

        Assert.Equal(keys, file.Metadata.Select(kv => kv.Key));
        Assert.Equal(Enumerable.Range(0, keys.Length).Cast<object>(), file.Metadata.Select(kv => kv.Value.Value));
    }

    [Fact]
    public void Read_WrittenFile_LooksUpValuesByKey()
    {
        var file = GgufBytes.RoundTrip(new GgufWriter()
            .Add("general.architecture", GgufValue.String("llama"))
            .Add("llama.context_length", GgufValue.UInt32(4096))
            .Add("llama.signed", GgufValue.Int32(-1)));

        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Null(file.GetString("llama.context_length"));
        Assert.Equal(4096UL, file.GetUInt64("llama.context_length"));
        Assert.Null(file.GetUInt64("llama.signed"));
        Assert.Null(file.GetUInt64("missing"));
        Assert.False(file.TryGetValue("missing", out _));
    }
}
