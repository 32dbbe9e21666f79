namespace LlmGateway.Gguf.Tests;

/// <summary>Writes GGUF files into memory and reads them back, so round trips need no disk.</summary>
internal static class GgufBytes
{
    public const string Name = "memory.gguf";

    public static byte[] Write(GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    public static GgufFile Read(byte[] bytes) => GgufReader.Read(new MemoryStream(bytes), Name);

    public static GgufFile RoundTrip(GgufWriter writer) => Read(Write(writer));

    /// <summary>Adds a tensor whose data is <paramref name="fill"/> repeated, of exactly the size its shape needs.</summary>
    public static GgufWriter AddFilledTensor(this GgufWriter writer, string name, GgmlType type, ulong[] shape, byte fill = 0)
    {
        var size = new GgufTensorInfo(name, shape, type, 0).ByteSize;
        return writer.AddTensor(name, shape, type, s => s.Write(Enumerable.Repeat(fill, (int)size).ToArray()));
    }

    public static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
