using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>An object used as a dictionary: any number of keys of one pattern, values of one shape (logit_bias, metadata).</summary>
public sealed record MapShape(string KeyPattern, string KeyExpected, Shape Values, int? MaxProperties = null) : Shape
{
    /// <summary>The OpenAPI 3.0 document has no propertyNames; this extension carries the key pattern.</summary>
    public const string KeyPatternExtension = "x-key-pattern";

    private readonly Regex _keys = new(KeyPattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    public override string Expected => "an object";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Object;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        var count = 0;
        foreach (var member in value.EnumerateObject())
        {
            var name = RequestProblem.Member(path, member.Name);
            if (++count > MaxProperties)
            {
                return RequestProblem.InvalidValue(path, $"an object of at most {MaxProperties} keys");
            }

            if (!_keys.IsMatch(member.Name))
            {
                return RequestProblem.InvalidValue(path, $"an object whose keys are {KeyExpected} ('{member.Name}' is not)");
            }

            if (Values.Check(member.Value, name) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.Object,
        AdditionalProperties = Values.ToSchema(),
        MaxProperties = MaxProperties,
        Extensions = new Dictionary<string, IOpenApiExtension> { [KeyPatternExtension] = new JsonNodeExtension(JsonValue.Create(KeyPattern)) },
    });
}
