using System.Text.RegularExpressions;
using LlmGateway.Gguf;
using Microsoft.Extensions.Options;

namespace LlmGateway;

/// <summary>Turns what stops start-up into one line for the user: the setting and what it accepts.</summary>
public static partial class StartupErrors
{
    public static bool IsUsers(Exception e) => e is OptionsValidationException or GgufFormatException or InvalidOperationException;

    public static string Describe(Exception e)
    {
        if (e is OptionsValidationException v)
        {
            return string.Join(Environment.NewLine, v.Failures);
        }

        // The configuration binder's words for a value of the wrong type; the setting is named, the choices are not.
        if (BinderFailure().Match(e.Message) is { Success: true } m)
        {
            var (value, key) = (m.Groups["value"].Value, m.Groups["key"].Value);
            var type = Nullable.GetUnderlyingType(TypeOf(m.Groups["type"].Value)) ?? TypeOf(m.Groups["type"].Value);
            var accepted = type switch
            {
                { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
                _ when type == typeof(int) || type == typeof(long) => "a whole number",
                _ when type == typeof(double) => "a number",
                _ when type == typeof(bool) => "true or false",
                _ => $"a {type.Name}",
            };
            return $"{key} must be {accepted}, not '{value}'.";
        }

        return e.Message;
    }

    private static Type TypeOf(string name) =>
        typeof(StartupErrors).Assembly.GetType(name) ?? Type.GetType(name) ?? typeof(string);

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderFailure();
}
