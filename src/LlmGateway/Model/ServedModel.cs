using System.Text.RegularExpressions;
using LlmGateway.Gguf;
using LlmGateway.Memory;

namespace LlmGateway.Model;

/// <summary>The model this gateway serves: where it is, the names it answers to, what the file says about it.</summary>
public sealed partial class ServedModel
{
    public ServedModel(string path, string id, IReadOnlyList<string> aliases, GgufModelInfo info, bool isSynthetic)
    {
        Path = path;
        Id = id;
        Aliases = aliases;
        Info = info;
        IsSynthetic = isSynthetic;
    }

    public string Path { get; }

    public string Id { get; }

    public IReadOnlyList<string> Aliases { get; }

    public GgufModelInfo Info { get; }

    /// <summary>True for the random-weight models llmgw-model writes: their answers are gibberish.</summary>
    public bool IsSynthetic { get; }

    public DateTimeOffset Created { get; init; }

    /// <summary>The KV cache's shape, for sizing memory; null when the file does not say.</summary>
    public KvCacheShape? KvCache { get; init; }

    public bool Answers(string? name) =>
        name is not null && (name == Id || Aliases.Contains(name, StringComparer.Ordinal));

    /// <summary>Reads and checks the file; a missing or broken file fails here, before llama-server starts.</summary>
    public static ServedModel Load(ModelOptions options)
    {
        var path = string.IsNullOrWhiteSpace(options.Path) ? options.DemoPath : options.Path;
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException("Model:Path is not set and there is no demo model (Model:DemoPath). Set Model:Path to a GGUF file.");
        }

        return Load(path, options.Id, options.Aliases);
    }

    /// <summary>Reads and checks <paramref name="path"/>; the id, when empty, comes from the file's metadata.</summary>
    public static ServedModel Load(string path, string? id, IReadOnlyList<string> aliases)
    {
        var file = GgufReader.Read(path);
        var info = GgufModelInfo.From(file);
        var synthetic = file.TryGetValue("llmgateway.synthetic", out var s) && s.Value is true;
        return new ServedModel(System.IO.Path.GetFullPath(path), string.IsNullOrWhiteSpace(id) ? DeriveId(info.Name, path) : id, aliases, info, synthetic)
        {
            Created = File.GetLastWriteTimeUtc(path),
            KvCache = KvCacheShape.From(file),
        };
    }

    /// <summary>An id from the model's own name, else the file name: never a path, which would leak the layout of the disk.</summary>
    private static string DeriveId(string? name, string path)
    {
        var source = string.IsNullOrWhiteSpace(name) ? System.IO.Path.GetFileNameWithoutExtension(path) : name;
        var id = UnsafeIdCharacters().Replace(source.ToLowerInvariant(), "-").Trim('-');
        return id.Length == 0 ? "local-model" : id;
    }

    [GeneratedRegex("[^a-z0-9._:-]+")]
    private static partial Regex UnsafeIdCharacters();
}
