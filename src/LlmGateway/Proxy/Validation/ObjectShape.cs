using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>An object with known fields; members it does not name pass unchecked (llama-server's own parameters).</summary>
public sealed record ObjectShape(params Field[] Fields) : Shape
{
    public IReadOnlyList<ObjectRule> Rules { get; init; } = [];

    public override string Expected => "an object";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Object;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        foreach (var field in Fields)
        {
            var name = RequestProblem.Member(path, field.Name);
            if (!value.TryGetProperty(field.Name, out var member) || member.ValueKind == JsonValueKind.Null)
            {
                if (field.Required)
                {
                    return RequestProblem.Missing(name);
                }

                continue;
            }

            if (field.Shape.Check(member, name) is { } problem)
            {
                return problem;
            }
        }

        foreach (var rule in Rules)
        {
            if (rule.Check(value, path) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    public override OpenApiSchema ToSchema()
    {
        var schema = Describe(new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = Fields.ToDictionary(f => f.Name, f => (IOpenApiSchema)f.Shape.ToSchema()),
            Required = new HashSet<string>(Fields.Where(f => f.Required).Select(f => f.Name)),
            AdditionalPropertiesAllowed = true,
        });
        if (Rules.Count > 0)
        {
            schema.Description = string.Join(" ", new[] { schema.Description }.Concat(Rules.Select(r => r.Description)).Where(s => s is not null));
        }

        return schema;
    }

    /// <summary>The value of a member, or null when it is absent or JSON null.</summary>
    public static JsonElement? Member(JsonElement value, string name) =>
        value.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null ? member : null;
}
