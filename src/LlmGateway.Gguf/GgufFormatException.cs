namespace LlmGateway.Gguf;

/// <summary>A file that is not a GGUF model this library can read, with the file and the problem named.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string file, string problem, long offset)
        : base($"{file}: not a usable GGUF file: {problem} (at byte {offset}).")
    {
        File = file;
        Problem = problem;
        Offset = offset;
    }

    public string File { get; }

    public string Problem { get; }

    public long Offset { get; }
}
