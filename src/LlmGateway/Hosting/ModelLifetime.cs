using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>With the host: removes what killed gateways left behind and preloads the models that ask for it; at shutdown stops every child.</summary>
public sealed partial class ModelLifetime(ModelRegistry models, ILogger<ModelLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ModelSupervisor.SweepStaleDirectories();
        foreach (var host in models.Hosts)
        {
            host.PromptCache?.Clear();
        }

        foreach (var host in models.Hosts.Where(h => h.Definition.Preload))
        {
            LogPreload(logger, host.Id);
            models.Room.RequestLoad(host);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(models.Hosts.Select(h => h.UnloadAsync("the gateway is stopping")));
        try
        {
            if (Directory.Exists(ModelCatalog.DefaultPromptCacheRoot))
            {
                Directory.Delete(ModelCatalog.DefaultPromptCacheRoot, recursive: true); // saved for reloads, never for the next gateway
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next gateway sweeps it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Preloading {Model}")]
    private static partial void LogPreload(ILogger logger, string model);
}
