using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>An array of items of one shape, with bounds on its length.</summary>
public sealed record ArrayShape(Shape Items, int MinItems = 0, int? MaxItems = null) : Shape
{
    public override string Expected => $"an array of {Plural(Items.Expected)}";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Array;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        var length = value.GetArrayLength();
        if (length < MinItems)
        {
            return RequestProblem.InvalidValue(path, MinItems == 1 ? "a non-empty array" : $"an array of at least {MinItems} items");
        }

        if (length > MaxItems)
        {
            return RequestProblem.InvalidValue(path, $"an array of at most {MaxItems} items");
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (Items.Check(item, RequestProblem.Element(path, i++)) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.Array,
        Items = Items.ToSchema(),
        MinItems = MinItems > 0 ? MinItems : null,
        MaxItems = MaxItems,
    });

    // "a string" -> "strings", "an array of integers" -> "arrays of integers"
    private static string Plural(string expected)
    {
        var noun = expected.StartsWith("an ", StringComparison.Ordinal) ? expected[3..] : expected.StartsWith("a ", StringComparison.Ordinal) ? expected[2..] : expected;
        var space = noun.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? noun + "s" : noun[..space] + "s" + noun[space..];
    }
}
