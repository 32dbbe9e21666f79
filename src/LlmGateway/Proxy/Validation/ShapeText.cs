using System.Text.Json;

namespace LlmGateway.Proxy.Validation;

/// <summary>Reads a JSON string that may not be text: an escaped lone surrogate ("\ud800") is valid JSON but no string.</summary>
internal static class ShapeText
{
    public static RequestProblem? Read(JsonElement value, string path, out string text)
    {
        try
        {
            text = value.GetString()!;
            return null;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return RequestProblem.InvalidValue(path, "valid Unicode text (it holds an unpaired surrogate)");
        }
    }
}
