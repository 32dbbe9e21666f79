using System.Buffers.Binary;
using System.Text;

namespace LlmGateway.Gguf.Tests;

/// <summary>Builds GGUF bytes field by field, so a test can write what <see cref="GgufWriter"/> refuses to.</summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    /// <summary>Magic, version, tensor count and key count: the fixed 24-byte start of every file.</summary>
    public static RawGguf Header(ulong tensorCount, ulong keyCount, uint version = 3) =>
        new RawGguf().Bytes("GGUF"u8).UInt32(version).UInt64(tensorCount).UInt64(keyCount);

    public RawGguf Bytes(ReadOnlySpan<byte> bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public RawGguf Zeros(int count) => Bytes(new byte[count]);

    public RawGguf UInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Bytes(bytes);
    }

    public RawGguf UInt64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return Bytes(bytes);
    }

    public RawGguf String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return UInt64((ulong)bytes.Length).Bytes(bytes);
    }

    /// <summary>A metadata key and its value type; the caller writes the value.</summary>
    public RawGguf Key(string key, GgufValueType type) => String(key).UInt32((uint)type);

    public RawGguf Tensor(string name, ulong[] shape, GgmlType type, ulong offset)
    {
        String(name).UInt32((uint)shape.Length);
        foreach (var dimension in shape)
        {
            UInt64(dimension);
        }

        return UInt32((uint)type).UInt64(offset);
    }

    public RawGguf PadTo(int alignment) => Zeros((int)(GgufBytes.AlignUp(Length, alignment) - Length));

    public byte[] ToArray() => _bytes.ToArray();
}
