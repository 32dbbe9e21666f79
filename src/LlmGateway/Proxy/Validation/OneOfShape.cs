using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>One of several shapes, told apart by the value's JSON kind (and, for arrays, by their first item).</summary>
public sealed record OneOfShape(params Shape[] Options) : Shape
{
    public override string Expected => string.Join(" or ", Options.Select(o => o.Expected).Distinct());

    public override bool Accepts(JsonValueKind kind) => Options.Any(o => o.Accepts(kind));

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        var candidates = Options.Where(o => o.Accepts(value.ValueKind)).ToList();
        if (candidates.Count == 1)
        {
            return candidates[0].Check(value, path); // its own error says precisely what is wrong inside
        }

        var match = candidates.FirstOrDefault(o => Matches(o, value));
        return match is null ? RequestProblem.InvalidType(path, Expected) : match.Check(value, path);
    }

    /// <summary>Whether <paramref name="value"/> looks like <paramref name="shape"/>: an array by its first item.</summary>
    private static bool Matches(Shape shape, JsonElement value) => shape switch
    {
        ArrayShape array when value.ValueKind == JsonValueKind.Array =>
            value.GetArrayLength() == 0 || array.Items.Accepts(value[0].ValueKind) && (array.Items is not ArrayShape || Matches(array.Items, value[0])),
        _ => shape.Accepts(value.ValueKind),
    };

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema { OneOf = [.. Options.Select(o => (IOpenApiSchema)o.ToSchema())] });
}
