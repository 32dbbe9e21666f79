using LlmGateway.Cpu;
using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>Every configured model's <see cref="ModelHost"/>, found by id or alias; <see cref="ModelLifetime"/> preloads and stops them.</summary>
public sealed class ModelRegistry : IChildProcesses, IAsyncDisposable
{
    private readonly Dictionary<string, ModelHost> _byName = new(StringComparer.Ordinal);
    private volatile RunningChild[] _running = [];

    /// <param name="loadWait">Models:LoadWaitSeconds.</param>
    public ModelRegistry(IReadOnlyList<ModelDefinition> definitions, SupervisionContext context, QueueLimits queue, TimeSpan loadWait)
    {
        LoadWait = loadWait;
        Hosts = [.. definitions.Select(d => new ModelHost(d, context, queue))];
        foreach (var host in Hosts)
        {
            foreach (var name in host.Definition.Model.Aliases.Prepend(host.Id))
            {
                _byName[name] = host;
            }

            host.Store.Changed += Refresh;
        }
    }

    public IReadOnlyList<ModelHost> Hosts { get; }

    /// <summary>The first model: the one a request without "model" gets, and the one admin views show unless asked for another.</summary>
    public ModelHost Default => Hosts[0];

    /// <summary>How long a request waits for its model to load before 503 (Models:LoadWaitSeconds).</summary>
    public TimeSpan LoadWait { get; }

    /// <summary>The model a request names (by id or alias); null names the default; an unknown name finds none.</summary>
    public ModelHost? Find(string? name) => name is null ? Default : _byName.GetValueOrDefault(name);

    public IReadOnlyList<RunningChild> Running => _running;

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts)
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>The sampler reads the children every 100 ms: a fresh array on every change, none on a read.</summary>
    private void Refresh() => _running =
        [.. Hosts.Select(h => h.State).Where(s => s.Pid is not null).Select(s => new RunningChild(s.Pid!.Value, s.IsReady))];
}
