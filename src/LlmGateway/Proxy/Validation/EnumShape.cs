using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>One string out of a fixed set.</summary>
public sealed record EnumShape(params string[] Values) : Shape
{
    public override string Expected => "a string";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.String;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        if (ShapeText.Read(value, path, out var text) is { } problem)
        {
            return problem;
        }

        return Values.Contains(text, StringComparer.Ordinal)
            ? null
            : RequestProblem.InvalidValue(path, Values.Length == 1 ? $"'{Values[0]}'" : $"one of {string.Join(", ", Values.Select(v => $"'{v}'"))}");
    }

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.String,
        Enum = [.. Values.Select(v => (JsonNode)JsonValue.Create(v))],
    });
}
