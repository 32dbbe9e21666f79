namespace LlmGateway.Tests;

/// <summary>Where the native artifacts are: scripts/test.sh builds them and exports these variables.</summary>
internal static class TestEnvironment
{
    private const string Hint = "Run the tests with scripts/test.sh, which builds llama.cpp and the test model and sets it.";

    /// <summary>The directory holding llama-server and llama-quantize (LLMGW_LLAMA_BIN).</summary>
    public static string LlamaBin => Directory("LLMGW_LLAMA_BIN");

    /// <summary>The pinned llama.cpp source tree (LLMGW_LLAMA_SRC).</summary>
    public static string LlamaSource => Directory("LLMGW_LLAMA_SRC");

    /// <summary>The synthetic tiny model (LLMGW_TEST_MODEL).</summary>
    public static string TinyModel => File("LLMGW_TEST_MODEL");

    /// <summary>A second synthetic model of another shape (LLMGW_TEST_MODEL_WIDE, the tiny-wide preset): for tests that serve two.</summary>
    public static string WideModel => File("LLMGW_TEST_MODEL_WIDE");

    /// <summary>native/launcher's llmgw-launch (LLMGW_LAUNCHER).</summary>
    public static string Launcher => File("LLMGW_LAUNCHER");

    public static string LlamaServer => Path.Combine(LlamaBin, "llama-server");

    public static string LlamaQuantize => Path.Combine(LlamaBin, "llama-quantize");

    public static string QwenVocab => Path.Combine(LlamaSource, "models", "ggml-vocab-qwen2.gguf");

    private static string Directory(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path && System.IO.Directory.Exists(path)
            ? path
            : throw new InvalidOperationException($"{variable} does not name a directory. {Hint}");

    private static string File(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path && System.IO.File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{variable} does not name a file. {Hint}");
}
