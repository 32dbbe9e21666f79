using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace LlmGateway.Tests.Fuzz;

/// <summary>Generates request bodies that the gateway's own OpenAPI document says are valid.</summary>
/// <remarks>
/// Generic over the document's schemas (types, bounds, enums, oneOf, required, additionalProperties), with one bias:
/// requests must stay cheap for llama-server, so sizes are small and the generation budget is 1 to 4 tokens.
/// </remarks>
internal sealed class SchemaGen(JsonElement document, string model)
{
    private const int MaxDepth = 8;

    /// <summary>Fields whose valid values are fixed to keep a request cheap (or within what llama-server can do).</summary>
    private static readonly Dictionary<string, Gen<JsonNode?>> Cheap = new()
    {
        ["max_tokens"] = Gen.Int[1, 4].Select(n => (JsonNode?)n),
        ["max_completion_tokens"] = Gen.Int[1, 4].Select(n => (JsonNode?)n),
        ["n"] = Gen.Int[1, 1].Select(n => (JsonNode?)n),
    };

    private static readonly Gen<string> Word = Gen.OneOf("a", "b", "hi", " ", "Z", ".", "!", "é", "中", "🙂", "\n").Array[0, 8].Select(a => string.Concat(a));
    private static readonly Gen<string> Name = Gen.Char["abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_-"].Array[1, 12].Select(a => new string(a));

    /// <summary>The valid bodies of the POST at <paramref name="path"/>, with a generation budget always set.</summary>
    public Gen<JsonObject> Body(string path)
    {
        var schema = document.GetProperty("paths").GetProperty(path).GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        return Value(schema, "", 0).Select(node =>
        {
            var body = (JsonObject)node!;
            if (path != "/v1/embeddings" && !body.ContainsKey("max_tokens"))
            {
                body["max_tokens"] = 1; // without it llama-server generates until the context is full
            }

            return body;
        });
    }

    private Gen<JsonNode?> Value(JsonElement schema, string name, int depth)
    {
        schema = Resolve(schema);
        if (Cheap.TryGetValue(name, out var cheap))
        {
            return cheap;
        }

        if (name == "model" && depth == 1)
        {
            // Mostly the model served: a random name is refused (404) before anything else is looked at.
            return Gen.Frequency((4, Gen.Const(model)), (1, Name)).Select(m => (JsonNode?)m);
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            return Gen.OneOf([.. oneOf.EnumerateArray().Select(o => Value(o, name, depth))]);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            // Raw text, parsed per sample: a JsonNode can belong to one parent only.
            return Gen.OneOf([.. values.EnumerateArray().Select(v => v.GetRawText())]).Select(text => JsonNode.Parse(text));
        }

        return Type(schema) switch
        {
            "string" => String(schema),
            "integer" => Integer(schema),
            "number" => Number(schema),
            "boolean" => Gen.Bool.Select(b => (JsonNode?)b),
            "array" => Array(schema, name, depth),
            _ => Object(schema, depth),
        };
    }

    private static Gen<JsonNode?> String(JsonElement schema)
    {
        var min = schema.TryGetProperty("minLength", out var m) ? m.GetInt32() : 0;
        var gen = schema.TryGetProperty("pattern", out _) ? Name : Word; // the only patterns are OpenAI's name rule
        return gen.Where(s => s.Length >= min).Select(s => (JsonNode?)s);
    }

    private static Gen<JsonNode?> Integer(JsonElement schema)
    {
        var min = Bound(schema, "minimum", -1000);
        var max = Bound(schema, "maximum", 1000);
        min = Math.Max(min, -1000);
        max = Math.Min(max, min + 50); // token ids, counts: small and cheap
        return Gen.Long[(long)min, (long)max].Select(n => (JsonNode?)n);
    }

    private static Gen<JsonNode?> Number(JsonElement schema)
    {
        var min = Bound(schema, "minimum", -100);
        var max = Bound(schema, "maximum", 100);
        return Gen.OneOf(Gen.Double[min, max], Gen.OneOf(min, max)).Select(x => (JsonNode?)Math.Round(x, 3));
    }

    private Gen<JsonNode?> Array(JsonElement schema, string name, int depth)
    {
        var min = schema.TryGetProperty("minItems", out var lo) ? lo.GetInt32() : 0;
        var max = Math.Min(schema.TryGetProperty("maxItems", out var hi) ? hi.GetInt32() : 3, Math.Max(min, 3));
        if (depth >= MaxDepth)
        {
            max = min;
        }

        return Value(schema.GetProperty("items"), name, depth + 1).Array[min, max].Select(items => (JsonNode?)new JsonArray(items));
    }

    private Gen<JsonNode?> Object(JsonElement schema, int depth)
    {
        if (schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            // A dictionary (logit_bias, metadata): keys after the x-key-pattern extension.
            var digits = schema.TryGetProperty("x-key-pattern", out var pattern) && pattern.GetString()!.Contains("[0-9]", StringComparison.Ordinal);
            var key = digits ? Gen.Int[0, 60].Select(i => i.ToString(CultureInfo.InvariantCulture)) : Name;
            return Gen.Select(key, Value(values, "", depth + 1)).Array[0, 3]
                .Select(pairs => (JsonNode?)new JsonObject(pairs.DistinctBy(p => p.Item1).Select(p => KeyValuePair.Create(p.Item1, p.Item2))));
        }

        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
        var fields = schema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject().ToList() : [];
        var members = fields
            .Where(f => required.Contains(f.Name) || depth < MaxDepth)
            .Select(f =>
            {
                var value = Value(f.Value, f.Name, depth + 1);
                var present = required.Contains(f.Name) ? Gen.Const(true) : Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true)));
                return present.SelectMany(p => p ? value.Select(v => (f.Name, (JsonNode?)v, true)) : Gen.Const((f.Name, (JsonNode?)null, false)));
            })
            .ToList();
        if (members.Count == 0)
        {
            return Gen.Const(() => (JsonNode?)new JsonObject()); // a free object: a JSON Schema, parameters
        }

        return members.Aggregate(Gen.Const(ImmutableList()), (acc, member) => Gen.Select(acc, member, (list, m) => m.Item3 ? [.. list, (m.Item1, m.Item2)] : list))
            .Select(list => (JsonNode?)new JsonObject(list.Select(m => KeyValuePair.Create(m.Item1, m.Item2))));

        static (string, JsonNode?)[] ImmutableList() => [];
    }

    private JsonElement Resolve(JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
        {
            var target = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part);
            }

            schema = target;
        }

        return schema;
    }

    private static string? Type(JsonElement schema) => schema.TryGetProperty("type", out var type) ? type.ValueKind == JsonValueKind.String ? type.GetString() : type[0].GetString() : null;

    private static double Bound(JsonElement schema, string name, double fallback) =>
        schema.TryGetProperty(name, out var bound) && bound.TryGetDouble(out var x) ? x : fallback;
}
