using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmGateway.Cli.Workloads;

/// <summary>What a correct answer looks like: exactly a text, matching a pattern, or JSON with a field holding a value.</summary>
public abstract record Expectation
{
    public abstract bool Matches(string answer);

    /// <summary>The answer is this text, ignoring surrounding white space.</summary>
    public sealed record Exact(string Text) : Expectation
    {
        public override bool Matches(string answer) => string.Equals(answer.Trim(), Text.Trim(), StringComparison.Ordinal);
    }

    /// <summary>The answer contains a match of this pattern (anchor it with ^ and $ for the whole answer).</summary>
    public sealed record Pattern(Regex Regex) : Expectation
    {
        public override bool Matches(string answer) => Regex.IsMatch(answer);
    }

    /// <summary>The answer is a JSON object (possibly in a ``` fence or among prose) whose field at a dotted path equals a value.</summary>
    public sealed record JsonField(string Path, JsonElement Value) : Expectation
    {
        public override bool Matches(string answer)
        {
            if (FindObject(answer) is not { } root)
            {
                return false;
            }

            var current = root;
            foreach (var name in Path.Split('.'))
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    return false;
                }
            }

            return Same(current, Value);
        }

        private static bool Same(JsonElement actual, JsonElement expected) => (actual.ValueKind, expected.ValueKind) switch
        {
            // Models vary the case of labels ("Malicious"); a label is the same label in either case.
            (JsonValueKind.String, JsonValueKind.String) => string.Equals(actual.GetString(), expected.GetString(), StringComparison.OrdinalIgnoreCase),
            (JsonValueKind.Number, JsonValueKind.Number) => actual.GetDouble() == expected.GetDouble(),
            _ => JsonElement.DeepEquals(actual, expected),
        };

        /// <summary>The first parseable JSON object in the text: models wrap JSON in fences or a sentence.</summary>
        private static JsonElement? FindObject(string text)
        {
            for (var start = text.IndexOf('{', StringComparison.Ordinal); start >= 0; start = text.IndexOf('{', start + 1))
            {
                var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text[start..]), new JsonReaderOptions { AllowTrailingCommas = true });
                try
                {
                    if (JsonElement.TryParseValue(ref reader, out var element) && element?.ValueKind == JsonValueKind.Object)
                    {
                        return element;
                    }
                }
                catch (JsonException)
                {
                    // not JSON from this brace on: try the next one
                }
            }

            return null;
        }
    }
}
