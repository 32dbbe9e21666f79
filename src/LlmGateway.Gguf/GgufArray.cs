namespace LlmGateway.Gguf;

/// <summary>A metadata array: one element type, items held in a typed CLR array.</summary>
/// <remarks>
/// Items are <c>byte[]</c>, <c>int[]</c>, <c>string[]</c> ... matching <see cref="ElementType"/>, or
/// <c>GgufArray[]</c> for nested arrays. Typed arrays keep a 150k-token vocabulary unboxed.
/// </remarks>
public sealed class GgufArray
{
    public GgufArray(GgufValueType elementType, Array items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var expected = ClrElementType(elementType);
        if (items.GetType().GetElementType() != expected)
        {
            throw new ArgumentException($"A GGUF {elementType} array holds {expected.Name}[], not {items.GetType().Name}.", nameof(items));
        }

        ElementType = elementType;
        Items = items;
    }

    public GgufValueType ElementType { get; }

    public Array Items { get; }

    public int Count => Items.Length;

    public static GgufArray Of(params string[] items) => new(GgufValueType.String, items);

    public static GgufArray Of(params int[] items) => new(GgufValueType.Int32, items);

    public static GgufArray Of(params float[] items) => new(GgufValueType.Float32, items);

    internal static Type ClrElementType(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => typeof(byte),
        GgufValueType.Int8 => typeof(sbyte),
        GgufValueType.UInt16 => typeof(ushort),
        GgufValueType.Int16 => typeof(short),
        GgufValueType.UInt32 => typeof(uint),
        GgufValueType.Int32 => typeof(int),
        GgufValueType.Float32 => typeof(float),
        GgufValueType.Bool => typeof(bool),
        GgufValueType.String => typeof(string),
        GgufValueType.Array => typeof(GgufArray),
        GgufValueType.UInt64 => typeof(ulong),
        GgufValueType.Int64 => typeof(long),
        GgufValueType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown GGUF value type."),
    };

    public override string ToString() => $"{ElementType}[{Count}]";
}
