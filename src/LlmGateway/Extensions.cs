using System.Text.Json;
using LlmGateway.Containment;
using LlmGateway.Cpu;
using LlmGateway.Hosting;
using LlmGateway.Interop;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Proxy;
using LlmGateway.Security;
using LlmGateway.Supervision;
using LlmGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace LlmGateway;

public static class Extensions
{
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section);
        services.AddOptions<LlamaServerOptions>().BindConfiguration(LlamaServerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LlamaServerOptions>, LlamaServerOptionsValidator>();
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ListenAddressValidator>();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, SecurityOptionsValidator>();
        // Kestrel reads its endpoints from "Kestrel" but not its limits; bound here so Kestrel:Limits:* (connections,
        // header and data-rate timeouts against slow clients) can be set like any other setting.
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));

        services.AddOptions<ModelsOptions>().Configure<IConfiguration>((o, c) => ModelsOptions.Bind(c.GetSection(ModelsOptions.Section), o)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelsOptions>, ModelsOptionsValidator>();
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MemoryOptions>, MemoryOptionsValidator>();
        services.AddModelHosting();

        services.AddOptions<CpuOptions>().BindConfiguration(CpuOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CpuOptions>, CpuOptionsValidator>();
        services.AddSingleton<CpuGovernor>();
        services.AddSingleton<IChildPriority>(sp => sp.GetRequiredService<CpuGovernor>());
        services.AddSingleton<YieldController>();
        services.AddSingleton<ChildProgress>();
        services.AddSingleton<RequestActivity>();
        services.AddOptions<CpuSamplerOptions>().BindConfiguration(CpuSamplerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CpuSamplerOptions>, CpuSamplerOptionsValidator>();
        services.AddSingleton<CpuSampler>();
        services.AddHostedService(sp => sp.GetRequiredService<CpuSampler>());
        services.AddOptions<Scoring.TargetsOptions>().BindConfiguration(Scoring.TargetsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Scoring.TargetsOptions>, Scoring.TargetsOptionsValidator>();
        services.AddSingleton<Scoring.LiveScorecard>();

        services.AddGatewayTelemetry();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton<OpenAiEndpoints.Forwarding>();

        // OpenAI's JSON is snake_case (owned_by, context_length); so is everything this gateway writes.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o => o.OperationFilter<Proxy.Validation.RequestBodyFilter>());
        return builder;
    }

    /// <summary>The models, their supervisors and the platform's containment: one registry, chosen and built once.</summary>
    private static IServiceCollection AddModelHosting(this IServiceCollection services)
    {
        if (OperatingSystem.IsWindows())
        {
            // The gateway's one job: children join it (containment), its limits hold them (the CPU backend).
            services.AddSingleton(_ => OperatingSystem.IsWindows() ? KillOnCloseJob.Create() : throw new PlatformNotSupportedException());
        }

        services.AddSingleton<IProcessRunner, CliWrapProcessRunner>();
        services.AddSingleton(sp => ContainmentChoice.Choose(
            LlamaServerCommand.FindLauncher(sp.GetRequiredService<IOptions<LlamaServerOptions>>().Value), sp));
        services.AddSingleton<ISupervisionEvents>(sp => sp.GetRequiredService<Telemetry.GatewayMetrics>());
        services.AddSingleton<SupervisionContext>();
        // Read once at start-up: a missing or broken model stops the gateway before any llama-server is tried.
        services.AddSingleton<IReadOnlyList<ModelDefinition>>(sp =>
        {
            var models = ModelCatalog.Read(
                sp.GetRequiredService<IOptions<ModelsOptions>>().Value, sp.GetRequiredService<IOptions<ModelOptions>>().Value,
                sp.GetRequiredService<IOptions<LlamaServerOptions>>().Value, sp.GetRequiredService<IOptions<MemoryOptions>>().Value,
                sp.GetRequiredService<IOptions<CpuOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.Models"));
            foreach (var m in models)
            {
                MemoryLog.Planned(sp.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.Memory"), m.Memory);
            }

            return models;
        });
        services.AddSingleton(sp =>
        {
            var proxy = sp.GetRequiredService<IOptions<ProxyOptions>>().Value;
            return new ModelRegistry(
                sp.GetRequiredService<IReadOnlyList<ModelDefinition>>(), sp.GetRequiredService<SupervisionContext>(),
                new QueueLimits(proxy.QueueLength, TimeSpan.FromSeconds(proxy.QueueTimeoutSeconds)),
                TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.LoadWaitSeconds));
        });
        services.AddSingleton<IChildProcesses>(sp => sp.GetRequiredService<ModelRegistry>());
        services.AddHostedService<ModelLifetime>();
        // The first model's: /admin/memory and the memory gauges describe it (one budget across models comes next).
        services.AddSingleton(sp => sp.GetRequiredService<ModelRegistry>().Default.Definition.Memory);
        return services;
    }
}
