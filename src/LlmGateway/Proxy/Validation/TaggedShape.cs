using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>An object whose kind is named by one member ("role", "type"), each kind with its own fields.</summary>
public sealed record TaggedShape(string Tag, params (string Value, ObjectShape Shape)[] Cases) : Shape
{
    private readonly EnumShape _tags = new([.. Cases.Select(c => c.Value)]);

    public override string Expected => "an object";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Object;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        var tagPath = RequestProblem.Member(path, Tag);
        if (ObjectShape.Member(value, Tag) is not { } tag)
        {
            return RequestProblem.Missing(tagPath);
        }

        if (_tags.Check(tag, tagPath) is { } problem)
        {
            return problem;
        }

        var name = tag.GetString();
        return Cases.First(c => c.Value == name).Shape.Check(value, path);
    }

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        OneOf = [.. Cases.Select(c =>
        {
            var schema = c.Shape.ToSchema();
            schema.Properties![Tag] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(c.Value)] };
            schema.Required!.Add(Tag);
            return (IOpenApiSchema)schema;
        })],
    });
}
