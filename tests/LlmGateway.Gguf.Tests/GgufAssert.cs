namespace LlmGateway.Gguf.Tests;

internal static class GgufAssert
{
    public const string CorruptName = "models/corrupt.gguf";

    /// <summary>Reading fails with a message that names the file and contains <paramref name="problem"/>.</summary>
    public static GgufFormatException ReadFails(byte[] bytes, string problem)
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(new MemoryStream(bytes), CorruptName));
        Assert.Equal(CorruptName, e.File);
        Assert.StartsWith(CorruptName + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    public static void MetadataEqual(GgufFile expected, GgufFile actual)
    {
        Assert.Equal(expected.Metadata.Select(kv => kv.Key), actual.Metadata.Select(kv => kv.Key));
        for (var i = 0; i < expected.Metadata.Count; i++)
        {
            ValueEqual(expected.Metadata[i].Value, actual.Metadata[i].Value, expected.Metadata[i].Key);
        }
    }

    public static void ValueEqual(GgufValue expected, GgufValue actual, string key)
    {
        Assert.True(expected.Type == actual.Type, $"{key}: expected a {expected.Type}, found a {actual.Type}");
        if (expected.Value is GgufArray array)
        {
            ArrayEqual(array, Assert.IsType<GgufArray>(actual.Value), key);
        }
        else
        {
            ItemEqual(expected.Value, actual.Value, key);
        }
    }

    public static void ArrayEqual(GgufArray expected, GgufArray actual, string key)
    {
        Assert.True(
            expected.ElementType == actual.ElementType && expected.Count == actual.Count,
            $"{key}: expected {expected}, found {actual}");
        for (var i = 0; i < expected.Count; i++)
        {
            var (x, y) = (expected.Items.GetValue(i), actual.Items.GetValue(i));
            if (x is GgufArray inner)
            {
                ArrayEqual(inner, Assert.IsType<GgufArray>(y), $"{key}[{i}]");
            }
            else
            {
                ItemEqual(x, y, $"{key}[{i}]");
            }
        }
    }

    // object.Equals, not ==: it keeps the CLR type (byte 1 is not int 1) and treats NaN as equal to NaN.
    private static void ItemEqual(object? expected, object? actual, string key) =>
        Assert.True(Equals(expected, actual), $"{key}: expected {expected} ({expected?.GetType().Name}), found {actual} ({actual?.GetType().Name})");
}
