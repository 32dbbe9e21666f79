using LlmGateway.Errors;

namespace LlmGateway.Proxy.Validation;

/// <summary>Why a request is refused: the JSON path of the offending field, a sentence for people, and a code for programs.</summary>
public sealed record RequestProblem(string Param, string Message, string Code)
{
    public static RequestProblem Missing(string path) =>
        new(path, $"'{path}' is required.", "missing_required_parameter");

    public static RequestProblem InvalidType(string path, string expected) =>
        new(path, $"'{path}' must be {expected}.", "invalid_type");

    public static RequestProblem InvalidValue(string path, string expected) =>
        new(path, $"'{path}' must be {expected}.", "invalid_value");

    /// <summary>A value the OpenAI API allows but llama-server cannot honour: refused rather than silently ignored.</summary>
    public static RequestProblem Unsupported(string path, string message) =>
        new(path, message, "unsupported_value");

    public IResult ToResult() => OpenAiError.BadRequest(Message, Param, Code);

    /// <summary>The path of a member of the object at <paramref name="path"/>.</summary>
    public static string Member(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>The path of an element of the array at <paramref name="path"/>.</summary>
    public static string Element(string path, int index) => $"{path}[{index}]";
}
