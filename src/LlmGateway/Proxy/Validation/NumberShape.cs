using System.Globalization;
using System.Text.Json;
using Microsoft.OpenApi;

namespace LlmGateway.Proxy.Validation;

/// <summary>A finite number within a closed range.</summary>
public sealed record NumberShape(double Min, double Max) : Shape
{
    public override string Expected => "a number";

    public override bool Accepts(JsonValueKind kind) => kind == JsonValueKind.Number;

    protected override RequestProblem? CheckAccepted(JsonElement value, string path) =>
        value.TryGetDouble(out var x) && double.IsFinite(x) && x >= Min && x <= Max
            ? null
            : RequestProblem.InvalidValue(path, $"a number from {Format(Min)} to {Format(Max)}");

    public override OpenApiSchema ToSchema() => Describe(new OpenApiSchema
    {
        Type = JsonSchemaType.Number,
        Minimum = Format(Min),
        Maximum = Format(Max),
    });

    internal static string Format(double x) => x.ToString(CultureInfo.InvariantCulture);
}
