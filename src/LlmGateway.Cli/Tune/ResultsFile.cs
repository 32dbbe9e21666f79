using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// The search's results as JSONL, one measured candidate a line, appended and flushed as each ends: an interrupted
/// search (Ctrl-C, a crash, a reboot) resumes from it without running those candidates again.
/// </summary>
public static class ResultsFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>The results in the file; none when it does not exist. A torn last line (killed mid-write) is ignored.</summary>
    public static IReadOnlyList<CandidateResult> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var results = new List<CandidateResult>();
        foreach (var line in File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            try
            {
                results.Add(JsonSerializer.Deserialize<CandidateResult>(line, Json) ?? throw new JsonException("null"));
            }
            catch (JsonException)
            {
                // Only a line cut off by an interruption is expected here; what was measured before it is kept.
            }
        }

        return results;
    }

    public static void Append(string path, CandidateResult result)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(file);
        writer.WriteLine(JsonSerializer.Serialize(result, Json));
        writer.Flush();
        file.Flush(flushToDisk: true);
    }
}
