using LlmGateway.Interop;

namespace LlmGateway.Containment;

/// <summary>The one place the platform's containment is chosen: a job object on Windows, else llmgw-launch when found, else none.</summary>
public static partial class ContainmentChoice
{
    /// <param name="launcher">llmgw-launch's path, or null when it is not there.</param>
    public static IChildContainment Choose(string? launcher, IServiceProvider services)
    {
        if (OperatingSystem.IsWindows())
        {
            return new JobObjectContainment(services.GetRequiredService<KillOnCloseJob>());
        }

        if (launcher is not null)
        {
            return new LauncherContainment(launcher);
        }

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ContainmentChoice));
        LogNoLauncher(logger);
        return new DirectContainment(services.GetRequiredService<ILogger<DirectContainment>>());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "llmgw-launch was not found (LlamaServer:LauncherPath): llama-server runs directly, and would outlive a gateway killed with SIGKILL.")]
    private static partial void LogNoLauncher(ILogger logger);
}
