using LlmGateway.Model;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.Tests.Units;

/// <summary>Section Models: the validator names each bad setting (Models:1:KeepAliveSeconds), and Bind reads the list in the order of its numbers.</summary>
public sealed class ModelsOptionsValidatorTests
{
    [Fact]
    public void AValidSection_Passes()
    {
        var options = new ModelsOptions();
        options.Entries.Add(new ModelEntry { Key = "Models:0", Path = "/m/a.gguf", ContextSize = 64, Parallel = 256, KeepAliveSeconds = 0, Id = "a" });

        Assert.True(new ModelsOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("KeepAliveSeconds", "Models:KeepAliveSeconds must be 0 (keep loaded) to 31536000 seconds, not -1.")]
    [InlineData("LoadWaitSeconds", "Models:LoadWaitSeconds must be 0 to 3600 seconds, not 3601.")]
    [InlineData("Directory", "Models:Directory '/no/such/directory' is not a directory.")]
    [InlineData("PromptCacheDirectory", "Models:PromptCacheDirectory '/no/such/parent/cache' cannot be made: its parent directory does not exist.")]
    [InlineData("SwapHoldSeconds", "Models:SwapHoldSeconds must be 0 to 3600 seconds, not -1.")]
    public void ABadSectionSetting_IsNamed(string setting, string message)
    {
        var options = new ModelsOptions();
        switch (setting)
        {
            case "KeepAliveSeconds": options.KeepAliveSeconds = -1; break;
            case "LoadWaitSeconds": options.LoadWaitSeconds = 3601; break;
            case "PromptCacheDirectory": options.PromptCacheDirectory = "/no/such/parent/cache"; break;
            case "SwapHoldSeconds": options.SwapHoldSeconds = -1; break;
            default: options.Directory = "/no/such/directory"; break;
        }

        Assert.Equal([message], Failures(options));
    }

    [Theory]
    [InlineData("Path", "Models:1:Path must name a GGUF file.")]
    [InlineData("ContextSize", "Models:1:ContextSize must be 64 to 1048576, not 63.")]
    [InlineData("Parallel", "Models:1:Parallel must be 1 to 256, not 0.")]
    [InlineData("KeepAliveSeconds", "Models:1:KeepAliveSeconds must be 0 (keep loaded) to 31536000 seconds, not 31536001.")]
    [InlineData("Id", "Models:1:Id must be 1 to 256 printable characters.")]
    public void ABadModelSetting_IsNamedWithTheModelsNumber(string setting, string message)
    {
        var options = new ModelsOptions();
        options.Entries.Add(new ModelEntry { Key = "Models:0", Path = "/m/a.gguf" });
        var entry = new ModelEntry { Key = "Models:1", Path = "/m/b.gguf" };
        switch (setting)
        {
            case "Path": entry.Path = " "; break;
            case "ContextSize": entry.ContextSize = 63; break;
            case "Parallel": entry.Parallel = 0; break;
            case "KeepAliveSeconds": entry.KeepAliveSeconds = 31_536_001; break;
            default: entry.Id = "tab\there"; break;
        }

        options.Entries.Add(entry);

        Assert.Equal([message], Failures(options));
    }

    [Fact]
    public void EveryFailure_IsReported_NotJustTheFirst()
    {
        var options = new ModelsOptions { KeepAliveSeconds = -1 };
        options.Entries.Add(new ModelEntry { Key = "Models:0", Parallel = 0 });

        var failures = Failures(options);

        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Models:0:Path", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Models:0:Parallel", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_ReadsNumberedChildrenInNumericOrder_AndTheRestAsSettings()
    {
        var section = Section(new()
        {
            ["Models:10:Path"] = "/m/ten.gguf",
            ["Models:2:Path"] = "/m/two.gguf",
            ["Models:2:Aliases:0"] = "second",
            ["Models:2:KeepAliveSeconds"] = "0",
            ["Models:0:Path"] = "/m/zero.gguf",
            ["Models:0:Preload"] = "true",
            ["Models:Directory"] = "/m",
            ["Models:KeepAliveSeconds"] = "60",
            ["Models:named:Path"] = "/m/named.gguf", // not a number: no model
        });
        var options = new ModelsOptions();

        ModelsOptions.Bind(section, options);

        Assert.Equal(["Models:0", "Models:2", "Models:10"], options.Entries.Select(e => e.Key));
        Assert.Equal(["/m/zero.gguf", "/m/two.gguf", "/m/ten.gguf"], options.Entries.Select(e => e.Path));
        Assert.Equal(["second"], options.Entries[1].Aliases);
        Assert.Equal(0, options.Entries[1].KeepAliveSeconds);
        Assert.True(options.Entries[0].Preload);
        Assert.Null(options.Entries[2].Preload);
        Assert.Equal("/m", options.Directory);
        Assert.Equal(60, options.KeepAliveSeconds);
    }

    [Fact]
    public void Bind_Again_ReplacesTheList()
    {
        var options = new ModelsOptions();
        ModelsOptions.Bind(Section(new() { ["Models:0:Path"] = "/m/a.gguf", ["Models:1:Path"] = "/m/b.gguf" }), options);

        ModelsOptions.Bind(Section(new() { ["Models:0:Path"] = "/m/c.gguf" }), options);

        Assert.Equal(["/m/c.gguf"], options.Entries.Select(e => e.Path));
    }

    private static IConfigurationSection Section(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ModelsOptions.Section);

    private static List<string> Failures(ModelsOptions options) =>
        [.. new ModelsOptionsValidator().Validate(null, options).Failures ?? []];
}
