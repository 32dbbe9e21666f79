using System.Globalization;
using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>A whole number within a closed range.</summary>
/// <remarks>
/// Counts llama-server keeps in 32 bits are capped there: it narrows larger values silently, and a max_tokens of 2^31
/// would become a negative n_predict, which means "no limit".
/// </remarks>
public sealed record IntegerShape(long Min, long Max = int.MaxValue) : Shape
{
    public override string Expected => "an integer";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Number;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path)
    {
        if (!value.TryGetInt64(out var n))
        {
            // 2.5 is the wrong type; 1e30 an integer out of range.
            return value.TryGetDouble(out var x) && double.IsFinite(x) && Math.Floor(x) != x
                ? RequestProblem.InvalidType(path, Expected)
                : RequestProblem.InvalidValue(path, Range());
        }

        return n >= Min && n <= Max ? null : RequestProblem.InvalidValue(path, Range());
    }

    private string Range() => Max == long.MaxValue
        ? $"an integer of at least {Min.ToString(CultureInfo.InvariantCulture)}"
        : $"an integer from {Min.ToString(CultureInfo.InvariantCulture)} to {Max.ToString(CultureInfo.InvariantCulture)}";

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = Min.ToString(CultureInfo.InvariantCulture),
        Maximum = Max.ToString(CultureInfo.InvariantCulture),
    });
}
