using LlmGateway.Tests;

namespace LlmGateway.Gguf.Tests;

/// <summary>The vocabulary-only GGUF files in the pinned llama.cpp tree's models/ directory.</summary>
public static class LlamaCppVocabFiles
{
    /// <summary>File names, not paths, so each theory case is named after its file.</summary>
    /// <remarks>A missing LLMGW_LLAMA_SRC throws here, failing the theories rather than skipping them.</remarks>
    public static TheoryData<string> Names() =>
        new(Directory.GetFiles(ModelsDirectory, "ggml-vocab-*.gguf").Select(p => Path.GetFileName(p)).Order());

    public static string PathOf(string name) => Path.Combine(ModelsDirectory, name);

    private static string ModelsDirectory => Path.Combine(TestEnvironment.LlamaSource, "models");
}
