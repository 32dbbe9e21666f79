using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>A string, optionally of bounded length or matching a pattern.</summary>
public sealed record StringShape(int MinLength = 0, int? MaxLength = null, string? Pattern = null) : Shape
{
    private readonly Regex? _regex = Pattern is null ? null : new Regex(Pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    public override string Expected => "a string";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.String;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        if (ShapeText.Read(value, path, out var text) is { } problem)
        {
            return problem;
        }

        if (text.Length < MinLength)
        {
            return RequestProblem.InvalidValue(path, MinLength == 1 ? "a non-empty string" : $"a string of at least {MinLength} characters");
        }

        if (text.Length > MaxLength)
        {
            return RequestProblem.InvalidValue(path, $"a string of at most {MaxLength} characters");
        }

        return _regex is null || _regex.IsMatch(text) ? null : RequestProblem.InvalidValue(path, $"a string matching {Pattern}");
    }

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.String,
        MinLength = MinLength > 0 ? MinLength : null,
        MaxLength = MaxLength,
        Pattern = Pattern,
    });
}
