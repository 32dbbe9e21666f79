using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>What one JSON value of a request must look like: checked on every request, and described in the OpenAPI document.</summary>
/// <remarks>
/// One description serves both, so the document the fuzzer derives its requests from is exactly what the gateway enforces.
/// A JSON null counts as absent (the OpenAI reference marks optional fields nullable); the enclosing object decides
/// whether absence is allowed.
/// </remarks>
public abstract record Shape
{
    public string? Description { get; init; }

    /// <summary>The value's kind, in the words of an error message: "a string", "an integer".</summary>
    public abstract string Expected { get; }

    /// <summary>Whether a value of this JSON kind is this shape's to check (the others are of the wrong type).</summary>
    public abstract bool Accepts(JsonValueKind kind);

    /// <summary>Checks a value of an accepted kind.</summary>
    protected abstract RequestProblem? CheckAccepted(JsonElement value, string path);

    public abstract OpenApiSchema ToSchema();

    public RequestProblem? Check(JsonElement value, string path) =>
        Accepts(value.ValueKind) ? CheckAccepted(value, path) : RequestProblem.InvalidType(path, Expected);

    protected OpenApiSchema Describe(OpenApiSchema schema)
    {
        schema.Description = Description;
        return schema;
    }
}
