using System.Globalization;

namespace LlmGateway.Model;

/// <summary>Section "Models": the models served, as a list (<c>Models:0:Path</c>, <c>Models:1:Path</c> ...) and/or a directory of GGUF files.</summary>
/// <remarks>
/// The list and the section's own settings share one section, so it is bound by hand (<see cref="Bind"/>): numbered
/// children are models, named ones are settings. With neither a list nor a directory, section "Model" (one model) is
/// served, as before.
/// </remarks>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>A directory whose *.gguf files are all served, each with an id from its metadata (general.name), never its path.</summary>
    public string? Directory { get; set; }

    /// <summary>Keep-alive of the models that do not set one: idle this long, a model's child stops and its memory is returned. 0 keeps models loaded.</summary>
    public double KeepAliveSeconds { get; set; } = 900;

    /// <summary>How long a request for a model that is not loaded waits for it to load before it gets 503 with Retry-After.</summary>
    public double LoadWaitSeconds { get; set; } = 30;

    /// <summary>The listed models, in the order of their numbers.</summary>
    public List<ModelEntry> Entries { get; } = [];

    /// <summary>Binds section "Models": numbered children into <see cref="Entries"/>, the rest as properties.</summary>
    public static void Bind(IConfigurationSection section, ModelsOptions options)
    {
        section.Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        options.Entries.Clear();
        foreach (var child in section.GetChildren()
            .Where(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
        {
            var entry = new ModelEntry { Key = $"{Section}:{child.Key}" };
            child.Bind(entry);
            options.Entries.Add(entry);
        }
    }
}
