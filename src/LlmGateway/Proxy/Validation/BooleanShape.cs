using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>true or false.</summary>
public sealed record BooleanShape : Shape
{
    public override string Expected => "a boolean";

    public override bool Accepts(JsonValueKind kind) => kind is JsonValueKind.True or JsonValueKind.False;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path) => null;

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema { Type = JsonSchemaType.Boolean });
}
