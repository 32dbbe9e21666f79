using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace LlmGateway.Tests.Fuzz;

/// <summary>One change to a valid body that makes it invalid (or odd but valid): the fuzzer's vocabulary of bad input.</summary>
/// <param name="Kind">The family, for the report: wrong-type, raw-number, invalid-utf8 ...</param>
/// <param name="Apply">Turns a copy of the valid body into the bytes sent.</param>
internal sealed record Mutation(string Kind, string Detail, Func<JsonObject, byte[]> Apply)
{
    private const string Marker = "\u0001FUZZ\u0001";
    private static readonly string MarkerJson = "\"\\u0001FUZZ\\u0001\"";

    private static readonly JsonSerializerOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 1024 };

    public static readonly Mutation None = new("none", "", Serialize);

    /// <summary>Mutations of a body whose tree has <paramref name="locations"/> values (the root not counted).</summary>
    public static Gen<Mutation> For(int locations)
    {
        var at = Gen.Int[0, Math.Max(0, locations - 1)];
        return Gen.Frequency(
            (12, Gen.Const(None)),
            (6, Gen.Select(at, Gen.OneOf("\"x\"", "0", "-1", "1.5", "true", "false", "null", "[]", "{}", "[1,\"a\"]", "{\"a\":1}", "\"\""), (i, v) =>
                Replace("wrong-type", i, v))),
            (4, Gen.Select(at, Gen.OneOf("1e400", "-1e400", "1e308", "9223372036854775808", "18446744073709551616", "-9223372036854775809",
                    "2147483648", "4294967297", "-0", "1E2", "0.0000000001", "123456789012345678901234567890", "-2147483649"), (i, v) =>
                Replace("raw-number", i, v))),
            (3, Gen.Select(at, Gen.OneOf("-1", "0", "0.5", "2.0001", "-2.0001", "100.5", "-100.5", "21", "1000000", "2147483647"), (i, v) =>
                Replace("number-edge", i, v))),
            (3, Gen.Select(at, Gen.OneOf("\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud800\\ud800b\"", "\"\\u0000\"", "\"\\uffff\"", "\"\\\\\"", "\"\\/\\b\\f\\n\\r\\t\""), (i, v) =>
                Replace("escape", i, v))),
            (4, Gen.Select(at, Gen.OneOf<byte[]>([0xC3, 0x28], [0xFF], [0xFE, 0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]), (i, bytes) =>
                InvalidUtf8(i, bytes))),
            (3, Gen.Select(at, Unicode, (i, s) => Replace("unicode", i, JsonSerializer.Serialize(s, Writing)))),
            // Past the context (2048 tokens, about 8 characters each): refused after tokenizing, never processed, so cheap.
            (2, Gen.Select(at, Gen.Int[20_000, 60_000], (i, n) => Replace("long-string", i, JsonSerializer.Serialize(new string('a', n))))),
            (3, Gen.Select(at, Gen.Int[2, 200], Gen.Bool, (i, depth, arrays) => Deep(i, depth, arrays))),
            (3, Gen.Select(at, Gen.Bool, (i, sameValue) => Duplicate(i, sameValue))),
            (4, at.Select(i => Edit("remove", i, (parent, key, index) =>
            {
                if (parent is JsonObject o) { o.Remove(key!); } else { ((JsonArray)parent).RemoveAt(index); }
            }))),
            (3, Gen.Select(at, Gen.OneOf("top_k", "min_p", "grammar", "xyz", "", "messages ", "n_probs", "cache_prompt", "samplers"), Gen.OneOf("1", "\"s\"", "[]", "{}", "null", "-5", "1e400"), (i, name, v) =>
                AddField(i, name, v))),
            (3, Gen.Select(at, Gen.Int[0, 60], (i, n) => Resize(i, n))),
            (2, Gen.Select(Gen.Double[0, 1], f => new Mutation("truncate", $"at {f:P0}", b => { var s = Serialize(b); return s[..(int)(s.Length * f)]; }))),
            (2, Gen.Select(Gen.Double[0, 1], Gen.Byte, (f, x) => new Mutation("byte-flip", $"at {f:P0} to 0x{x:X2}", b =>
            {
                var s = Serialize(b);
                if (s.Length > 0) { s[Math.Min(s.Length - 1, (int)(s.Length * f))] = x; }
                return s;
            }))),
            (2, Gen.OneOf("[]", "\"x\"", "1", "null", "", " ", "\n\t", "{", "}", "[{}]", "\"{}\"", "\uFEFF{}").Select(text =>
                new Mutation("not-an-object", text, _ => Encoding.UTF8.GetBytes(text)))));
    }

    private static readonly Gen<string> Unicode = Gen.OneOf(
            Gen.Char['\u0000', '\u001f'], Gen.Char['\u0300', '\u036f'], Gen.Char['\u0590', '\u06ff'], Gen.Char['\u4e00', '\u4fff'],
            Gen.Char['\u200b', '\u200f'], Gen.Char['\ufff0', '\uffff'], Gen.Char['a', 'z'])
        .Array[1, 64].Select(a => new string(a) + "😀👩‍👩‍👧");

    /// <summary>The body as sent when nothing is changed.</summary>
    public static byte[] Serialize(JsonObject body) => Encoding.UTF8.GetBytes(body.ToJsonString(Writing));

    /// <summary>Every value of the tree but the root, in a fixed order, as (parent, key or index).</summary>
    public static List<(JsonNode Parent, string? Key, int Index)> Locations(JsonNode root)
    {
        var list = new List<(JsonNode, string?, int)>();
        Walk(root);
        return list;

        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o.ToList())
                    {
                        list.Add((o, key, -1));
                        Walk(value);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        list.Add((a, null, i));
                        Walk(a[i]);
                    }

                    break;
            }
        }
    }

    private static Mutation Edit(string kind, int location, Action<JsonNode, string?, int> edit, Func<byte[], byte[]>? post = null) =>
        new(kind, $"#{location}", body =>
        {
            var locations = Locations(body);
            if (locations.Count > 0)
            {
                var (parent, key, index) = locations[location % locations.Count];
                edit(parent, key, index);
            }

            var bytes = Serialize(body);
            return post is null ? bytes : post(bytes);
        });

    private static void Set(JsonNode parent, string? key, int index, JsonNode? value)
    {
        if (parent is JsonObject o) { o[key!] = value; } else { ((JsonArray)parent)[index] = value; }
    }

    /// <summary>Puts raw JSON text (which JsonNode could not hold: 1e400, "\ud800") where a value was.</summary>
    private static Mutation Replace(string kind, int location, string raw) =>
        Edit(kind, location, (parent, key, index) => Set(parent, key, index, Marker), bytes => Splice(bytes, Encoding.UTF8.GetBytes(raw))) with { Detail = $"#{location} = {raw[..Math.Min(raw.Length, 60)]}" };

    private static Mutation InvalidUtf8(int location, byte[] bytes) =>
        Edit("invalid-utf8", location, (parent, key, index) => Set(parent, key, index, Marker), b => Splice(b, [(byte)'"', (byte)'a', .. bytes, (byte)'b', (byte)'"']))
            with { Detail = $"#{location} holds {Convert.ToHexString(bytes)}" };

    private static Mutation Deep(int location, int depth, bool arrays) =>
        Edit("deep", location, (parent, key, index) =>
        {
            var value = parent is JsonObject o ? o[key!]?.DeepClone() : ((JsonArray)parent)[index]?.DeepClone();
            for (var i = 0; i < depth; i++)
            {
                value = arrays ? new JsonArray(value) : new JsonObject { ["a"] = value };
            }

            Set(parent, key, index, value);
        }) with { Detail = $"#{location} nested {depth} deep in {(arrays ? "arrays" : "objects")}" };

    /// <summary>Writes a key twice in its object: the gateway and llama-server could otherwise read different values.</summary>
    private static Mutation Duplicate(int location, bool sameValue) =>
        new("duplicate-key", $"#{location} {(sameValue ? "same" : "other")} value", body =>
        {
            var locations = Locations(body).Where(l => l.Key is not null).ToList();
            var (parent, key, _) = locations.Count > 0 ? locations[location % locations.Count] : (body, "model", -1);
            var text = Encoding.UTF8.GetString(Serialize(body));
            var copy = sameValue ? ((JsonObject)parent)[key!]?.ToJsonString(Writing) ?? "null" : "\"other\"";
            // Opening brace of the parent object, found by its own serialization.
            var parentText = parent.ToJsonString(Writing);
            var at = text.IndexOf(parentText, StringComparison.Ordinal);
            var insert = at < 0 ? 1 : at + 1;
            return Encoding.UTF8.GetBytes(text.Insert(insert, $"{JsonSerializer.Serialize(key)}:{copy},"));
        });

    private static Mutation AddField(int location, string name, string raw) =>
        Edit("extra-field", location, (parent, key, index) =>
        {
            var target = parent as JsonObject ?? (parent.Root as JsonObject)!;
            target[name] = Marker;
        }, bytes => Splice(bytes, Encoding.UTF8.GetBytes(raw))) with { Detail = $"\"{name}\": {raw}" };

    private static Mutation Resize(int location, int count) =>
        Edit("array-size", location, (parent, _, _) =>
        {
            if (parent is not JsonArray a)
            {
                return;
            }

            var first = a.Count > 0 ? a[0] : null;
            a.Clear();
            for (var i = 0; i < count; i++)
            {
                a.Add(first?.DeepClone());
            }
        }) with { Detail = $"#{location} to {count} items" };

    /// <summary>Replaces the marker (serialized as a JSON string) with raw bytes.</summary>
    private static byte[] Splice(byte[] body, byte[] raw)
    {
        var marker = Encoding.UTF8.GetBytes(MarkerJson);
        var at = body.AsSpan().IndexOf(marker);
        return at < 0 ? body : [.. body.AsSpan(0, at), .. raw, .. body.AsSpan(at + marker.Length)];
    }
}
