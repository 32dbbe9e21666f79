using System.Globalization;

namespace LlmGateway.Gguf;

/// <summary>A metadata value and its stored type.</summary>
/// <remarks>
/// <see cref="Value"/> is the matching CLR type: byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double, or <see cref="GgufArray"/>. The type is kept beside the value because
/// readers such as llama.cpp check it (a context length stored as int32 is not the same key as uint32).
/// </remarks>
public readonly record struct GgufValue
{
    private GgufValue(GgufValueType type, object value) => (Type, Value) = (type, value);

    public GgufValueType Type { get; }

    public object Value { get; }

    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, value);
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, value);
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, value);
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, value);
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, value);
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, value);
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, value);
    public static GgufValue String(string value) => new(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, value);
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, value);
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, value);
    public static GgufValue Array(GgufArray value) => new(GgufValueType.Array, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>The value as an unsigned integer when it is a non-negative integer of any width.</summary>
    public bool TryGetUInt64(out ulong result)
    {
        (var ok, result) = Value switch
        {
            byte v => (true, v),
            ushort v => (true, v),
            uint v => (true, v),
            ulong v => (true, v),
            sbyte v when v >= 0 => (true, (ulong)v),
            short v when v >= 0 => (true, (ulong)v),
            int v when v >= 0 => (true, (ulong)v),
            long v when v >= 0 => (true, (ulong)v),
            _ => (false, 0UL),
        };
        return ok;
    }

    public override string ToString() => Value switch
    {
        string s => s,
        GgufArray a => a.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };
}
