using System.Text;

namespace LlmGateway.Gguf;

/// <summary>Writes a GGUF version 3 file: metadata, tensor descriptions, then each tensor's data, aligned.</summary>
/// <remarks>
/// Tensor data is produced by a callback when the file is written, so a model of several gigabytes is
/// streamed to disk without being held in memory.
/// </remarks>
public sealed class GgufWriter
{
    public const uint Version = 3;

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<(GgufTensorInfo Info, Action<Stream> WriteData)> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    public uint Alignment { get; private set; } = GgufFile.DefaultAlignment;

    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!_keys.Add(key))
        {
            throw new ArgumentException($"Metadata key \"{key}\" was already added.", nameof(key));
        }

        if (key == GgufFile.AlignmentKey)
        {
            Alignment = value.Value is uint a && a != 0 && (a & (a - 1)) == 0
                ? a
                : throw new ArgumentException($"{GgufFile.AlignmentKey} must be a uint32 power of two.", nameof(value));
        }

        _metadata.Add(new(key, value));
        return this;
    }

    /// <param name="shape">Dimensions innermost first (ne[0] is the row length).</param>
    /// <param name="writeData">Writes exactly the tensor's bytes; checked when the file is written.</param>
    public GgufWriter AddTensor(string name, IReadOnlyList<ulong> shape, GgmlType type, Action<Stream> writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.Count is 0 or > GgufReader.MaxTensorDimensions || shape.Any(d => d == 0))
        {
            throw new ArgumentException($"Tensor \"{name}\" needs 1 to {GgufReader.MaxTensorDimensions} non-zero dimensions.", nameof(shape));
        }

        if (shape[0] % (ulong)GgmlTypeLayout.Of(type).BlockSize != 0)
        {
            throw new ArgumentException($"Tensor \"{name}\": a row of {shape[0]} is not a multiple of the {type} block size.", nameof(shape));
        }

        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"Tensor \"{name}\" was already added.", nameof(name));
        }

        _tensors.Add((new GgufTensorInfo(name, [.. shape], type, Offset: 0), writeData));
        return this;
    }

    public void WriteTo(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        WriteTo(stream);
    }

    public void WriteTo(Stream destination)
    {
        var output = new CountingStream(destination);
        var header = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        header.Write(GgufReader.Magic);
        header.Write(Version);
        header.Write((ulong)_tensors.Count);
        header.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(header, key);
            header.Write((uint)value.Type);
            WriteValue(header, value.Type, value.Value);
        }

        ulong offset = 0;
        foreach (var (info, _) in _tensors)
        {
            WriteString(header, info.Name);
            header.Write((uint)info.Shape.Count);
            foreach (var d in info.Shape)
            {
                header.Write(d);
            }

            header.Write((uint)info.Type);
            header.Write(offset);
            offset = AlignUp(offset + info.ByteSize, Alignment);
        }

        header.Flush();
        Pad(output);
        foreach (var (info, writeData) in _tensors)
        {
            var start = output.Written;
            writeData(output);
            var written = (ulong)(output.Written - start);
            if (written != info.ByteSize)
            {
                throw new InvalidOperationException($"Tensor \"{info.Name}\" wrote {written} bytes; its shape and type need {info.ByteSize}.");
            }

            Pad(output);
        }

        output.Flush();
    }

    private void Pad(CountingStream output)
    {
        var padding = (int)(AlignUp((ulong)output.Written, Alignment) - (ulong)output.Written);
        output.Write(new byte[padding]);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)value); break;
            case GgufValueType.Int8: w.Write((sbyte)value); break;
            case GgufValueType.UInt16: w.Write((ushort)value); break;
            case GgufValueType.Int16: w.Write((short)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((byte)((bool)value ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt64: w.Write((ulong)value); break;
            case GgufValueType.Int64: w.Write((long)value); break;
            case GgufValueType.Float64: w.Write((double)value); break;
            case GgufValueType.Array:
                var array = (GgufArray)value;
                w.Write((uint)array.ElementType);
                w.Write((ulong)array.Count);
                foreach (var item in array.Items)
                {
                    WriteValue(w, array.ElementType, item!);
                }

                break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown GGUF value type.");
        }
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static ulong AlignUp(ulong value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    /// <summary>Counts what passes through, so tensor sizes can be checked without a seekable stream.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
