using LlmGateway.Cpu;
using LlmGateway.Gguf;
using LlmGateway.Hosting;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Tests.Units;

/// <summary>What start-up serves: the Models list, a Models:Directory, or section Model; names that clash; per-model settings over LlamaServer's.</summary>
/// <remarks>The GGUF files are headers only (an architecture and a name): all the catalog reads.</remarks>
public sealed class ModelCatalogTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("llmgw-catalog-");
    private readonly LlamaServerOptions _server = new() { ContextSize = 4096, Parallel = 2, ExtraArguments = ["--global"] };

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void WithNeitherListNorDirectory_SectionModel_IsTheOneModel_Preloaded()
    {
        var path = Gguf("single.gguf", "Single Model");

        var models = Read(new ModelsOptions(), new ModelOptions { Path = path, Aliases = ["gpt-4o-mini"] });

        var model = Assert.Single(models);
        Assert.Equal("single-model", model.Id);
        Assert.Equal(["gpt-4o-mini"], model.Model.Aliases);
        Assert.True(model.Preload);
        Assert.Equal(TimeSpan.FromSeconds(900), model.KeepAlive);
        Assert.Equal(_server.ContextSize, model.Server.ContextSize);
    }

    [Fact]
    public void OneListedModel_IsPreloadedByDefault_SeveralAreNot_UnlessTheySaySo()
    {
        var one = Models(new ModelEntry { Key = "Models:0", Path = Gguf("a.gguf", "a") });
        Assert.True(Assert.Single(Read(one)).Preload);

        var several = Models(
            new ModelEntry { Key = "Models:0", Path = Gguf("a.gguf", "a") },
            new ModelEntry { Key = "Models:1", Path = Gguf("b.gguf", "b"), Preload = true });
        Assert.Equal([false, true], Read(several).Select(m => m.Preload));
    }

    [Fact]
    public void PerModelSettings_OverrideLlamaServers_AndTheSectionsKeepAlive()
    {
        var options = Models(
            new ModelEntry
            {
                Key = "Models:0", Path = Gguf("a.gguf", "a"), Id = "custom", ContextSize = 1024, Parallel = 4,
                ExtraArguments = ["--own"], KeepAliveSeconds = 0, WarmupSystemPrompt = "be brief",
            },
            new ModelEntry { Key = "Models:1", Path = Gguf("b.gguf", "b") });
        options.KeepAliveSeconds = 120;

        var models = Read(options);

        Assert.Equal("custom", models[0].Id);
        Assert.Equal((1024, 4), (models[0].Server.ContextSize, models[0].Server.Parallel));
        Assert.Equal(["--global", "--own"], models[0].Server.ExtraArguments);
        Assert.Equal(TimeSpan.Zero, models[0].KeepAlive);
        Assert.Equal("be brief", models[0].WarmupSystemPrompt);
        Assert.Equal(256, models[0].SlotContext);
        Assert.Equal((4096, 2), (models[1].Server.ContextSize, models[1].Server.Parallel));
        Assert.Equal(["--global"], models[1].Server.ExtraArguments);
        Assert.Equal(TimeSpan.FromSeconds(120), models[1].KeepAlive);
        Assert.Null(models[1].WarmupSystemPrompt);
        Assert.Equal(4096, _server.ContextSize); // the shared section is not changed
    }

    [Fact]
    public void LlamaServerFor_CopiesTheSection_WithTheModelsOwnValues()
    {
        var own = _server.For(new ModelEntry { Parallel = 3 });
        var none = _server.For(null);

        Assert.Equal((4096, 3), (own.ContextSize, own.Parallel));
        Assert.Equal(["--global"], own.ExtraArguments);
        Assert.NotSame(_server, none);
        Assert.Equal((4096, 2), (none.ContextSize, none.Parallel));
    }

    [Fact]
    public void APerModelParallel_TheSharedHttpThreadsCannotServe_StopsStartUp_NamingTheModelAndTheSetting()
    {
        _server.HttpThreads = 8; // enough for Parallel 2 (2 + 6), not for 4
        var options = Models(
            new ModelEntry { Key = "Models:0", Path = Gguf("a.gguf", "a") },
            new ModelEntry { Key = "Models:1", Path = Gguf("b.gguf", "b"), Parallel = 4 });

        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Read(options));

        var failure = Assert.Single(e.Failures);
        Assert.StartsWith("Models:1 (b): LlamaServer:HttpThreads must be 0 (automatic: Parallel + 6 = 10) or 10 to 1024, not 8", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("same-id", "same-id", "", "")]
    [InlineData("first", "second", "second", "")]
    [InlineData("first", "second", "shared", "shared")]
    public void TwoModelsAnsweringToOneName_AreRefused_NamingBoth(string id0, string id1, string alias0, string alias1)
    {
        var options = Models(
            new ModelEntry { Key = "Models:0", Path = Gguf("a.gguf", "a"), Id = id0, Aliases = alias0 is "" ? [] : [alias0] },
            new ModelEntry { Key = "Models:1", Path = Gguf("b.gguf", "b"), Id = id1, Aliases = alias1 is "" ? [] : [alias1] });

        var e = Assert.Throws<InvalidOperationException>(() => Read(options));

        Assert.Contains("Models:0 (a.gguf)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Models:1 (b.gguf)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADirectory_ServesEveryGguf_WithAnIdFromItsMetadata_AndSkipsAnUnreadableOne()
    {
        var dir = _directory.CreateSubdirectory("models").FullName;
        Gguf(Path.Combine(dir, "x1.gguf"), "Qwen 2.5 Tiny");
        Gguf(Path.Combine(dir, "x2.gguf"), "Llama Small");
        File.WriteAllText(Path.Combine(dir, "broken.gguf"), "this is no GGUF file at all, only text");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a model");

        var models = Read(new ModelsOptions { Directory = dir });

        Assert.Equal(["qwen-2.5-tiny", "llama-small"], models.Select(m => m.Id));
        Assert.All(models, m => Assert.False(m.Preload));
    }

    [Fact]
    public void AFileBothListedAndInTheDirectory_IsServedOnce_WithTheListsSettings()
    {
        var dir = _directory.CreateSubdirectory("models").FullName;
        var listed = Gguf(Path.Combine(dir, "listed.gguf"), "listed");
        Gguf(Path.Combine(dir, "other.gguf"), "other");
        var options = Models(new ModelEntry { Key = "Models:0", Path = listed, Id = "mine", Parallel = 3 });
        options.Directory = dir;

        var models = Read(options);

        Assert.Equal(["mine", "other"], models.Select(m => m.Id));
        Assert.Equal(3, models[0].Server.Parallel);
    }

    [Fact]
    public void AMissingListedFile_StopsStartUp()
    {
        var options = Models(new ModelEntry { Key = "Models:0", Path = Path.Combine(_directory.FullName, "absent.gguf") });

        Assert.Throws<GgufFormatException>(() => Read(options));
    }

    private static ModelsOptions Models(params ModelEntry[] entries)
    {
        var options = new ModelsOptions();
        options.Entries.AddRange(entries);
        return options;
    }

    private IReadOnlyList<ModelDefinition> Read(ModelsOptions models, ModelOptions? single = null) =>
        ModelCatalog.Read(models, single ?? new ModelOptions(), _server, new MemoryOptions(), new CpuOptions(), NullLogger.Instance);

    private string Gguf(string name, string modelName)
    {
        var path = Path.IsPathRooted(name) ? name : Path.Combine(_directory.FullName, name);
        new GgufWriter()
            .Add("general.architecture", GgufValue.String("llama"))
            .Add("general.name", GgufValue.String(modelName))
            .WriteTo(path);
        return path;
    }
}
