namespace LlmGateway.Gguf.Tests;

public sealed class ArrayRoundTripTests
{
    public static TheoryData<GgufValueType> ElementTypes() => new(Enum.GetValues<GgufValueType>());

    [Theory]
    [MemberData(nameof(ElementTypes))]
    public void Write_ArrayOfEachElementType_ReadsBackSameItems(GgufValueType elementType)
    {
        var array = new GgufArray(elementType, SampleItems(elementType));

        var file = GgufBytes.RoundTrip(new GgufWriter().Add("array", GgufValue.Array(array)));

        var value = Assert.Single(file.Metadata).Value;
        GgufAssert.ValueEqual(GgufValue.Array(array), value, "array");
        Assert.Equal(array.Items.GetType(), ((GgufArray)value.Value).Items.GetType());
    }

    [Theory]
    [MemberData(nameof(ElementTypes))]
    public void Write_EmptyArrayOfEachElementType_ReadsBackEmptyWithItsElementType(GgufValueType elementType)
    {
        var empty = new GgufArray(elementType, Array.CreateInstance(GgufArray.ClrElementType(elementType), 0));

        var file = GgufBytes.RoundTrip(new GgufWriter().Add("empty", GgufValue.Array(empty)).Add("after", GgufValue.UInt8(7)));

        var read = Assert.IsType<GgufArray>(file.Metadata[0].Value.Value);
        Assert.Equal(elementType, read.ElementType);
        Assert.Equal(0, read.Count);
        Assert.Equal((byte)7, file.Metadata[1].Value.Value);
    }

    [Fact]
    public void Write_ArraysOfDifferentInnerTypes_ReadsBackEachInnerType()
    {
        var mixed = new GgufArray(GgufValueType.Array, new[] { GgufArray.Of("a", "b"), GgufArray.Of(1, 2, 3), GgufArray.Of(0.5f) });

        var file = GgufBytes.RoundTrip(new GgufWriter().Add("mixed", GgufValue.Array(mixed)));

        GgufAssert.ValueEqual(GgufValue.Array(mixed), file.Metadata[0].Value, "mixed");
    }

    [Fact]
    public void Write_ArraysNestedToTheLimit_ReadsBack()
    {
        var nested = Nested(GgufReader.MaxArrayNesting);

        var file = GgufBytes.RoundTrip(new GgufWriter().Add("deep", GgufValue.Array(nested)));

        GgufAssert.ValueEqual(GgufValue.Array(nested), file.Metadata[0].Value, "deep");
    }

    /// <summary><paramref name="levels"/> arrays, each holding the next; the innermost holds one string.</summary>
    internal static GgufArray Nested(int levels)
    {
        var array = GgufArray.Of("leaf");
        for (var level = 1; level < levels; level++)
        {
            array = new GgufArray(GgufValueType.Array, new[] { array });
        }

        return array;
    }

    private static Array SampleItems(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => new byte[] { 0, 1, byte.MaxValue },
        GgufValueType.Int8 => new sbyte[] { sbyte.MinValue, 0, sbyte.MaxValue },
        GgufValueType.UInt16 => new ushort[] { 0, 1, ushort.MaxValue },
        GgufValueType.Int16 => new short[] { short.MinValue, 0, short.MaxValue },
        GgufValueType.UInt32 => new uint[] { 0, 1, uint.MaxValue },
        GgufValueType.Int32 => new[] { int.MinValue, 0, int.MaxValue },
        GgufValueType.Float32 => new[] { float.MinValue, float.NaN, -0.0f, float.MaxValue },
        GgufValueType.Bool => new[] { true, false, true },
        GgufValueType.String => new[] { "", "a", "Grüße 🦙", "<|im_start|>" },
        GgufValueType.UInt64 => new ulong[] { 0, 1, ulong.MaxValue },
        GgufValueType.Int64 => new[] { long.MinValue, 0, long.MaxValue },
        GgufValueType.Float64 => new[] { double.MinValue, double.NaN, double.MaxValue },
        GgufValueType.Array => new[] { GgufArray.Of("a", "b"), new GgufArray(GgufValueType.String, Array.Empty<string>()), GgufArray.Of("ü") },
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
