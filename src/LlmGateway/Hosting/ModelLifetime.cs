using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>With the host: removes what killed gateways left behind and preloads the models that ask for it; at shutdown stops every child.</summary>
public sealed partial class ModelLifetime(ModelRegistry models, ILogger<ModelLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ModelSupervisor.SweepStaleDirectories();
        foreach (var host in models.Hosts.Where(h => h.Definition.Preload))
        {
            LogPreload(logger, host.Id);
            host.Supervisor.Load();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(models.Hosts.Select(h => h.UnloadAsync("the gateway is stopping")));

    [LoggerMessage(Level = LogLevel.Information, Message = "Preloading {Model}")]
    private static partial void LogPreload(ILogger logger, string model);
}
