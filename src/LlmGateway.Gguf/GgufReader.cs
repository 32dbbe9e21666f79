using System.Buffers.Binary;
using System.Text;

namespace LlmGateway.Gguf;

/// <summary>Reads and validates the header of a GGUF file.</summary>
/// <remarks>
/// Every count and length is checked against the bytes left in the file before anything is allocated,
/// so a corrupt or hostile file that claims 2^60 keys or a 2^40-byte string fails at once with a clear
/// message instead of exhausting memory.
/// </remarks>
public static class GgufReader
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const int MaxTensorDimensions = 4;
    public const int MaxArrayNesting = 16;

    public static GgufFile Read(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GgufFormatException(path, $"cannot be opened: {e.Message}", 0);
        }

        using (stream)
        {
            return Read(stream, path);
        }
    }

    /// <param name="stream">A readable, seekable stream positioned at the start of the file.</param>
    /// <param name="name">The name used in error messages, usually the file path.</param>
    public static GgufFile Read(Stream stream, string name) => new Parser(stream, name).Parse();

    private sealed class Parser(Stream stream, string name)
    {
        private readonly Stream _stream = stream;
        private readonly string _name = name;
        private readonly long _length = stream.Length;
        private readonly byte[] _scratch = new byte[8];
        private long _position;

        private long Remaining => _length - _position;

        public GgufFile Parse()
        {
            if (_length < 4 || ReadUInt32() != Magic)
            {
                throw Fail("wrong magic: the file does not start with \"GGUF\"", 0);
            }

            var version = ReadUInt32();
            if (version is not (2 or 3))
            {
                var hint = BinaryPrimitives.ReverseEndianness(version) is 2 or 3 ? " (a big-endian file; only little-endian is supported)" : "";
                throw Fail($"unsupported version {version}{hint}; versions 2 and 3 are supported", 4);
            }

            var tensorCount = ReadUInt64();
            var keyCount = ReadUInt64();
            // Smallest possible key: 8-byte length, empty name, 4-byte type, 1-byte value.
            CheckCount(keyCount, 13, "metadata keys", _position - 8);

            var metadata = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(keyCount, 4096));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (ulong i = 0; i < keyCount; i++)
            {
                var at = _position;
                var key = ReadString("metadata key");
                if (!seen.Add(key))
                {
                    throw Fail($"duplicate metadata key \"{key}\"", at);
                }

                metadata.Add(new(key, ReadValue(ReadValueType(), depth: 0)));
            }

            var alignment = ReadAlignment(metadata);

            // Smallest possible tensor info: name length, n_dims, one dimension, type, offset.
            CheckCount(tensorCount, 32, "tensors", 8);
            var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
            var names = new HashSet<string>(StringComparer.Ordinal);
            var infoStarts = new List<long>();
            for (ulong i = 0; i < tensorCount; i++)
            {
                infoStarts.Add(_position);
                var tensor = ReadTensorInfo();
                if (!names.Add(tensor.Name))
                {
                    throw Fail($"duplicate tensor \"{tensor.Name}\"", infoStarts[^1]);
                }

                tensors.Add(tensor);
            }

            var dataOffset = AlignUp(_position, alignment);
            for (var i = 0; i < tensors.Count; i++)
            {
                CheckPlacement(tensors[i], infoStarts[i], dataOffset, alignment);
            }

            return new GgufFile(version, metadata, tensors, dataOffset, _length);
        }

        private uint ReadAlignment(List<KeyValuePair<string, GgufValue>> metadata)
        {
            foreach (var (key, value) in metadata)
            {
                if (key != GgufFile.AlignmentKey)
                {
                    continue;
                }

                if (value.Value is not uint a || a == 0 || (a & (a - 1)) != 0)
                {
                    throw Fail($"{GgufFile.AlignmentKey} must be a uint32 power of two, found {value.Type} {value}", 0);
                }

                return a;
            }

            return GgufFile.DefaultAlignment;
        }

        private GgufTensorInfo ReadTensorInfo()
        {
            var name = ReadString("tensor name");
            var at = _position;
            var dims = ReadUInt32();
            if (dims is 0 or > MaxTensorDimensions)
            {
                throw Fail($"tensor \"{name}\" has {dims} dimensions; 1 to {MaxTensorDimensions} are allowed", at);
            }

            var shape = new ulong[dims];
            for (var d = 0; d < dims; d++)
            {
                shape[d] = ReadUInt64();
                if (shape[d] == 0 || shape[d] > long.MaxValue)
                {
                    throw Fail($"tensor \"{name}\" has dimension {d} of {shape[d]}", _position - 8);
                }
            }

            at = _position;
            var type = (GgmlType)ReadUInt32();
            if (!GgmlTypeLayout.TryGet(type, out var layout))
            {
                throw Fail($"tensor \"{name}\" has unknown type {(uint)type}", at);
            }

            if (shape[0] % (ulong)layout.BlockSize != 0)
            {
                throw Fail($"tensor \"{name}\" has rows of {shape[0]} elements, not a multiple of the {type} block size {layout.BlockSize}", at);
            }

            var offset = ReadUInt64();
            return new GgufTensorInfo(name, shape, type, offset);
        }

        private void CheckPlacement(GgufTensorInfo tensor, long at, long dataOffset, uint alignment)
        {
            ulong size;
            try
            {
                size = tensor.ByteSize;
            }
            catch (OverflowException)
            {
                throw Fail($"tensor \"{tensor.Name}\" has an absurd shape [{string.Join(", ", tensor.Shape)}]", at);
            }

            if (tensor.Offset % alignment != 0)
            {
                throw Fail($"tensor \"{tensor.Name}\" data offset {tensor.Offset} is not aligned to {alignment}", at);
            }

            var end = (ulong)dataOffset + tensor.Offset + size;
            if (tensor.Offset > (ulong)_length || size > (ulong)_length || end > (ulong)_length)
            {
                throw Fail($"truncated: tensor \"{tensor.Name}\" needs bytes up to {end} but the file has {_length}", at);
            }
        }

        private GgufValueType ReadValueType()
        {
            var at = _position;
            var type = (GgufValueType)ReadUInt32();
            return Enum.IsDefined(type) ? type : throw Fail($"unknown value type {(uint)type}", at);
        }

        private GgufValue ReadValue(GgufValueType type, int depth) => type switch
        {
            GgufValueType.UInt8 => GgufValue.UInt8(Fixed(1)[0]),
            GgufValueType.Int8 => GgufValue.Int8((sbyte)Fixed(1)[0]),
            GgufValueType.UInt16 => GgufValue.UInt16(BinaryPrimitives.ReadUInt16LittleEndian(Fixed(2))),
            GgufValueType.Int16 => GgufValue.Int16(BinaryPrimitives.ReadInt16LittleEndian(Fixed(2))),
            GgufValueType.UInt32 => GgufValue.UInt32(ReadUInt32()),
            GgufValueType.Int32 => GgufValue.Int32(BinaryPrimitives.ReadInt32LittleEndian(Fixed(4))),
            GgufValueType.Float32 => GgufValue.Float32(BinaryPrimitives.ReadSingleLittleEndian(Fixed(4))),
            GgufValueType.Bool => GgufValue.Bool(ReadBool()),
            GgufValueType.String => GgufValue.String(ReadString("string value")),
            GgufValueType.UInt64 => GgufValue.UInt64(ReadUInt64()),
            GgufValueType.Int64 => GgufValue.Int64(BinaryPrimitives.ReadInt64LittleEndian(Fixed(8))),
            GgufValueType.Float64 => GgufValue.Float64(BinaryPrimitives.ReadDoubleLittleEndian(Fixed(8))),
            GgufValueType.Array => GgufValue.Array(ReadArray(depth + 1)),
            _ => throw Fail($"unknown value type {(uint)type}", _position - 4),
        };

        private GgufArray ReadArray(int depth)
        {
            var at = _position;
            if (depth > MaxArrayNesting)
            {
                throw Fail($"arrays nested deeper than {MaxArrayNesting} levels", at);
            }

            var elementType = ReadValueType();
            var count = ReadUInt64();
            CheckCount(count, MinimumSize(elementType), $"{elementType} array elements", at);

            var items = Array.CreateInstance(GgufArray.ClrElementType(elementType), (int)count);
            for (var i = 0; i < (int)count; i++)
            {
                items.SetValue(ReadValue(elementType, depth).Value, i);
            }

            return new GgufArray(elementType, items);
        }

        private static int MinimumSize(GgufValueType type) => type switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            _ => 12, // a nested array: element type and count
        };

        private void CheckCount(ulong count, int minimumSize, string what, long at)
        {
            if (count > int.MaxValue || count * (ulong)minimumSize > (ulong)Remaining)
            {
                throw Fail($"claims {count} {what} but only {Remaining} bytes follow", at);
            }
        }

        private string ReadString(string what)
        {
            var at = _position;
            var length = ReadUInt64();
            if (length > (ulong)Remaining)
            {
                throw Fail($"{what} of {length} bytes runs past the end of the file ({Remaining} bytes left)", at);
            }

            if (length == 0)
            {
                return "";
            }

            var bytes = new byte[length];
            ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        private bool ReadBool()
        {
            var at = _position;
            return Fixed(1)[0] switch
            {
                0 => false,
                1 => true,
                var b => throw Fail($"bool value {b} is neither 0 nor 1", at),
            };
        }

        private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Fixed(4));

        private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Fixed(8));

        private ReadOnlySpan<byte> Fixed(int size)
        {
            var span = _scratch.AsSpan(0, size);
            ReadExactly(span);
            return span;
        }

        private void ReadExactly(Span<byte> buffer)
        {
            if (buffer.Length > Remaining)
            {
                throw Fail($"truncated: needs {buffer.Length} more bytes but the file ends at byte {_length}", _position);
            }

            _stream.ReadExactly(buffer);
            _position += buffer.Length;
        }

        private GgufFormatException Fail(string problem, long at) => new(_name, problem, at);

        private static long AlignUp(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;
    }
}
