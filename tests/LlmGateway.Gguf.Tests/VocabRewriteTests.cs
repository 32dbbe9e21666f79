using System.Buffers.Binary;
using LlmGateway.Tests;

namespace LlmGateway.Gguf.Tests;

public sealed class VocabRewriteTests
{
    public static TheoryData<string> VocabFiles() => LlamaCppVocabFiles.Names();

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void Rewrite_VocabFile_ReadsBackIdenticalMetadata(string name)
    {
        var original = GgufReader.Read(LlamaCppVocabFiles.PathOf(name));

        var rewritten = GgufBytes.RoundTrip(CopyMetadata(original));

        GgufAssert.MetadataEqual(original, rewritten);
        Assert.Empty(rewritten.Tensors);
        Assert.Equal(GgufWriter.Version, rewritten.Version);
    }

    // The llama.cpp vocab files come from gguf-py's vocab-only export, which stops right after the last
    // metadata value. GgufWriter, like ggml's gguf_write_to_file, pads the header to the alignment even when
    // no tensor data follows, so a rewrite is the original plus up to 31 zero bytes. ggml-vocab-aquila.gguf
    // is version 2, laid out exactly as version 3 (for little-endian files), so only its version field differs.
    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void Rewrite_VocabFile_IsTheOriginalBytesPaddedToTheAlignment(string name)
    {
        var original = File.ReadAllBytes(LlamaCppVocabFiles.PathOf(name));

        var rewritten = GgufBytes.Write(CopyMetadata(GgufBytes.Read(original)));

        var expected = new byte[GgufBytes.AlignUp(original.Length, GgufFile.DefaultAlignment)];
        original.CopyTo(expected, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(4), GgufWriter.Version);
        Assert.Equal(expected.Length, rewritten.Length);
        var same = expected.AsSpan().CommonPrefixLength(rewritten);
        Assert.True(same == expected.Length, $"The rewrite differs from the original at byte {same}.");
    }

    [Fact]
    public void WriteTo_Path_RoundTripsTheQwen2VocabThroughDisk()
    {
        var original = GgufReader.Read(TestEnvironment.QwenVocab);
        var path = Path.Combine(Path.GetTempPath(), $"gguf-tests-{Guid.NewGuid():N}.gguf");
        try
        {
            CopyMetadata(original).WriteTo(path);

            GgufAssert.MetadataEqual(original, GgufReader.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static GgufWriter CopyMetadata(GgufFile file)
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata)
        {
            writer.Add(key, value);
        }

        return writer;
    }
}
