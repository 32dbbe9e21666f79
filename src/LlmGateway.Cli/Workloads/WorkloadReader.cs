using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LlmGateway.Cli.Workloads;

/// <summary>Reads a workload file: JSONL, one OpenAI chat request per line, an optional header line first.</summary>
/// <remarks>
/// A request line is a /v1/chat/completions body plus two keys of the workload's own, removed before sending:
/// "id" (a name for the line in reports) and "expected" ({"exact": TEXT}, {"regex": PATTERN} or {"field": PATH, "value": JSON}).
/// A header line, if any, is the first one and has no "messages": {"name": N, "arrival": "sequential"|"fixed"|"poisson",
/// "rate": PER_SECOND, "system": TEXT}; "system" is put first in every request that has no system message of its own, so
/// a shared system prompt is written once. Blank lines are skipped. Every fault names the file and line.
/// </remarks>
public static class WorkloadReader
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static Workload Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkloadFormatException($"{path}: cannot read the workload: {e.Message}");
        }

        return Parse(path, lines);
    }

    public static Workload Parse(string path, IReadOnlyList<string> lines)
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        var arrival = ArrivalPattern.Sequential;
        string? system = null;
        var requests = new List<WorkloadRequest>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var number = i + 1;
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var line = ParseObject(path, number, lines[i]);
            if (requests.Count == 0 && system is null && !line.ContainsKey("messages") && IsHeader(line))
            {
                (name, arrival, system) = Header(path, number, line, name);
                continue;
            }

            var request = Request(path, number, line, system);
            if (ids.TryGetValue(request.Id, out var first))
            {
                throw Fault(path, number, $"the id '{request.Id}' is already used on line {first}");
            }

            ids[request.Id] = number;
            requests.Add(request);
        }

        return requests.Count == 0
            ? throw new WorkloadFormatException($"{path}: the workload has no requests (one JSON chat request per line)")
            : new Workload(name, path, arrival, requests);
    }

    private static bool IsHeader(JsonObject line) => line.ContainsKey("arrival") || line.ContainsKey("system") || line.ContainsKey("name") || line.ContainsKey("rate");

    private static JsonObject ParseObject(string path, int number, string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw Fault(path, number, $"not valid JSON: {e.Message}");
        }

        return node as JsonObject ?? throw Fault(path, number, "a line must be one JSON object (a chat request)");
    }

    private static (string Name, ArrivalPattern Arrival, string? System) Header(string path, int number, JsonObject header, string name)
    {
        foreach (var (key, _) in header)
        {
            if (key is not ("name" or "arrival" or "rate" or "system"))
            {
                throw Fault(path, number, $"unknown header key '{key}': a header has name, arrival, rate and system (a request line needs \"messages\")");
            }
        }

        var kind = Text(path, number, header, "arrival") ?? "sequential";
        var rate = header["rate"];
        ArrivalPattern? arrival;
        string? problem = null;
        if (kind == "sequential")
        {
            arrival = rate is null ? ArrivalPattern.Sequential : throw Fault(path, number, "\"rate\" is for the fixed and poisson arrivals, not sequential");
        }
        else if (kind is "fixed" or "poisson")
        {
            arrival = rate is JsonValue value && value.TryGetValue<double>(out var perSecond)
                ? ArrivalPattern.FromRate(kind, perSecond.ToString("R", System.Globalization.CultureInfo.InvariantCulture), out problem)
                : throw Fault(path, number, $"the {kind} arrival needs \"rate\": a number of requests per second");
        }
        else
        {
            throw Fault(path, number, $"\"arrival\" is '{kind}', none of sequential, fixed, poisson");
        }

        return (Text(path, number, header, "name") ?? name, arrival ?? throw Fault(path, number, problem!), Text(path, number, header, "system"));
    }

    private static WorkloadRequest Request(string path, int number, JsonObject line, string? system)
    {
        var id = line["id"] switch
        {
            null => $"line-{number}",
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s,
            JsonValue v when v.TryGetValue<long>(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw Fault(path, number, "\"id\" must be a non-empty string or a number"),
        };
        var expected = line["expected"] is { } e ? Expected(path, number, e) : null;
        line.Remove("id");
        line.Remove("expected");

        if (line["messages"] is not JsonArray messages || messages.Count == 0)
        {
            throw Fault(path, number, "\"messages\" must be a non-empty array of {\"role\", \"content\"} objects");
        }

        var hasSystem = false;
        for (var m = 0; m < messages.Count; m++)
        {
            if (messages[m] is not JsonObject message)
            {
                throw Fault(path, number, $"messages[{m}] is not an object");
            }

            var role = message["role"] is JsonValue r && r.TryGetValue<string>(out var roleText) ? roleText : null;
            if (role is null || !Roles.Contains(role))
            {
                throw Fault(path, number, $"messages[{m}].role must be one of {string.Join(", ", Roles)}");
            }

            if (message["content"] is not (JsonValue or JsonArray) || (message["content"] is JsonValue c && !c.TryGetValue<string>(out _)))
            {
                throw Fault(path, number, $"messages[{m}].content must be a string (or an array of content parts)");
            }

            hasSystem |= role is "system" or "developer";
        }

        foreach (var limit in new[] { "max_tokens", "max_completion_tokens" })
        {
            if (line[limit] is { } max && !(max is JsonValue mv && mv.TryGetValue<long>(out var n) && n > 0))
            {
                throw Fault(path, number, $"\"{limit}\" must be a positive whole number");
            }
        }

        if (line["n"] is JsonValue nv && (!nv.TryGetValue<long>(out var choices) || choices != 1))
        {
            throw Fault(path, number, "\"n\" must be 1: the report scores one answer per request");
        }

        if (system is not null && !hasSystem)
        {
            messages.Insert(0, new JsonObject { ["role"] = "system", ["content"] = system });
        }

        return new WorkloadRequest(number, id, line, expected);
    }

    private static Expectation Expected(string path, int number, JsonNode node)
    {
        if (node is not JsonObject spec)
        {
            throw Fault(path, number, "\"expected\" must be an object: {\"exact\": TEXT}, {\"regex\": PATTERN} or {\"field\": PATH, \"value\": JSON}");
        }

        var keys = string.Join(",", spec.Select(p => p.Key).Order(StringComparer.Ordinal));
        switch (keys)
        {
            case "exact":
                return new Expectation.Exact(Text(path, number, spec, "exact") ?? throw Fault(path, number, "\"expected.exact\" must be a string"));
            case "regex":
                var pattern = Text(path, number, spec, "regex") ?? throw Fault(path, number, "\"expected.regex\" must be a string");
                try
                {
                    return new Expectation.Pattern(new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
                }
                catch (ArgumentException e)
                {
                    throw Fault(path, number, $"\"expected.regex\" is not a valid pattern: {e.Message}");
                }

            case "field,value":
                var field = Text(path, number, spec, "field");
                if (string.IsNullOrEmpty(field) || field.Split('.').Any(string.IsNullOrEmpty))
                {
                    throw Fault(path, number, "\"expected.field\" must be a dotted path such as \"verdict\" or \"result.severity\"");
                }

                return new Expectation.JsonField(field, JsonSerializer.SerializeToElement(spec["value"]));
            default:
                throw Fault(path, number, $"\"expected\" has keys [{keys}]; it needs exactly one of: exact; regex; field and value");
        }
    }

    private static string? Text(string path, int number, JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw Fault(path, number, $"\"{key}\" must be a string"),
    };

    private static WorkloadFormatException Fault(string path, int number, string what) => new($"{path}:{number}: {what}");
}
