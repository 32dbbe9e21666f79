using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// Writes the winner as settings the gateway reads. FILE.json: appsettings-style JSON (sections and keys as in the
/// gateway's appsettings.json; the gateway loads it as appsettings.json or appsettings.Production.json beside its
/// binary, as ASP.NET Core's host does, since it has no option naming another file). Any other name: environment lines
/// (Section__Key=value), which every way of starting the gateway reads (`set -a; . FILE; set +a; llmgw serve`, systemd's
/// EnvironmentFile=, docker --env-file).
/// </summary>
public static class SettingsWriter
{
    public static void Write(Candidate winner, string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(path, Json(winner) + Environment.NewLine);
        }
        else
        {
            File.WriteAllLines(path, [$"# llmgw tune's winner: {winner.Key}", .. winner.Settings().Select(s => $"{s.Key}={s.Value}")]);
        }
    }

    public static string Json(Candidate winner)
    {
        var root = new JsonObject();
        foreach (var (key, value) in winner.Settings())
        {
            var parts = key.Split("__");
            var section = root;
            foreach (var part in parts[..^1])
            {
                section = (JsonObject)(section[part] ??= new JsonObject());
            }

            section[parts[^1]] = int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
                : value is "true" or "false" ? JsonValue.Create(value == "true")
                : JsonValue.Create(value);
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads environment lines as written above (comments and blank lines skipped).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadEnvironmentLines(string path) =>
    [
        .. File.ReadLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('='))
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..])),
    ];
}
