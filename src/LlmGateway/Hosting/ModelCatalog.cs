using LlmGateway.Cpu;
using LlmGateway.Gguf;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;
using Microsoft.Extensions.Options;

namespace LlmGateway.Hosting;

/// <summary>Reads the configured models at start-up: section Models (a list and/or a directory), else section Model (one).</summary>
/// <remarks>
/// Every file is read before anything starts, so a missing or broken one stops start-up naming its setting; two
/// models answering to one name do too.
/// </remarks>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelDefinition> Read(
        ModelsOptions models, ModelOptions single, LlamaServerOptions server, MemoryOptions memory, CpuOptions cpu, ILogger logger)
    {
        List<(string Key, ServedModel Model, ModelEntry? Entry)> found = [];
        foreach (var entry in models.Entries)
        {
            found.Add((entry.Key, ServedModel.Load(entry.Path!, entry.Id, entry.Aliases), entry));
        }

        if (!string.IsNullOrWhiteSpace(models.Directory))
        {
            foreach (var file in Directory.EnumerateFiles(models.Directory, "*.gguf").Order(StringComparer.Ordinal))
            {
                if (found.Any(f => f.Model.Path == Path.GetFullPath(file)))
                {
                    continue; // listed as well: the list's settings win
                }

                try
                {
                    found.Add(($"{ModelsOptions.Section}:Directory", ServedModel.Load(file, null, []), null));
                }
                catch (GgufFormatException e)
                {
                    // One unreadable file in a directory of models is no reason to serve none of them.
                    LogSkipped(logger, file, e.Message);
                }
            }
        }

        if (found.Count == 0)
        {
            found.Add((ModelOptions.Section, ServedModel.Load(single), null));
        }

        CheckNames(found);
        var machine = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var weights = (double)found.Sum(f => f.Entry?.CpuWeight ?? ChildGroup.DefaultWeight);
        return [.. found.Select((f, i) => Define(i, f.Key, f.Model, f.Entry, models, server, memory, cpu, machine, found.Count, weights))];
    }

    private static ModelDefinition Define(
        int index,
        string key, ServedModel model, ModelEntry? entry, ModelsOptions models, LlamaServerOptions global, MemoryOptions memory, CpuOptions cpu, long machine, int count, double weights)
    {
        var server = global.For(entry);
        if (new LlamaServerOptionsValidator().Validate(null, server) is { Failed: true } invalid)
        {
            throw new OptionsValidationException(key, typeof(LlamaServerOptions), invalid.Failures.Select(f => $"{key} ({model.Id}): {f}"));
        }

        // Each model's prompt cache is sized as if it ran alone; one budget across models is the next step.
        var plan = MemoryPlanner.Plan(memory, model.Info.FileSize, model.KvCache, server.ContextSize, server.Parallel, machine,
            cpu.MemoryMaxBytes, LlamaServerCommand.KvCacheType(server));
        return new ModelDefinition(
            model,
            server,
            plan,
            TimeSpan.FromSeconds(entry?.KeepAliveSeconds ?? models.KeepAliveSeconds),
            entry?.Preload ?? count == 1,
            string.IsNullOrWhiteSpace(entry?.WarmupSystemPrompt) ? null : entry.WarmupSystemPrompt,
            ChildGroup.For(index, model.Id, entry?.CpuWeight ?? ChildGroup.DefaultWeight, (entry?.CpuWeight ?? ChildGroup.DefaultWeight) / weights),
            models.KeepPromptCache ? Path.Combine(PromptCacheRoot(models), ChildGroup.For(index, model.Id).Name) : null);
    }

    /// <summary>Models:PromptCacheDirectory, else llmgw-PID-prompt-cache in the temporary directory (swept once this gateway is gone).</summary>
    private static string PromptCacheRoot(ModelsOptions models) =>
        string.IsNullOrWhiteSpace(models.PromptCacheDirectory) ? DefaultPromptCacheRoot : Path.GetFullPath(models.PromptCacheDirectory);

    /// <summary>This gateway's own prompt-cache directory when none is configured: removed when it stops, swept by the next start if it was killed.</summary>
    public static string DefaultPromptCacheRoot { get; } = Path.Combine(Path.GetTempPath(), $"llmgw-{Environment.ProcessId}-prompt-cache");

    private static void CheckNames(List<(string Key, ServedModel Model, ModelEntry? Entry)> found)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, model, _) in found)
        {
            foreach (var name in model.Aliases.Prepend(model.Id))
            {
                if (owners.TryGetValue(name, out var other))
                {
                    throw new InvalidOperationException(
                        $"Two models answer to '{name}': {other} and {key} ({Path.GetFileName(model.Path)}). Give one of them another Id or alias.");
                }

                owners[name] = $"{key} ({Path.GetFileName(model.Path)})";
            }
        }
    }

    private static void LogSkipped(ILogger logger, string file, string reason) =>
        logger.LogWarning("Models:Directory: {File} is not served: {Reason}", file, reason);
}
