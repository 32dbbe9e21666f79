using System.Text.Json;
using LlmGateway.Cpu;
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

        // Read once at start-up: a missing or broken model stops the gateway before llama-server is tried.
        services.AddSingleton(sp => ServedModel.Load(sp.GetRequiredService<IOptions<ModelOptions>>().Value));
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MemoryOptions>, MemoryOptionsValidator>();
        services.AddSingleton(MemoryPlanFrom);
        services.AddSingleton<LlamaServerConnection>();
        services.AddHostedService<LlamaServerSupervisor>();

        services.AddOptions<CpuOptions>().BindConfiguration(CpuOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CpuOptions>, CpuOptionsValidator>();
        services.AddSingleton<CpuGovernor>();
        services.AddSingleton<IChildPriority>(sp => sp.GetRequiredService<CpuGovernor>());
        services.AddSingleton<YieldController>();
        services.AddSingleton<ChildProgress>();
        services.AddOptions<CpuSamplerOptions>().BindConfiguration(CpuSamplerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CpuSamplerOptions>, CpuSamplerOptionsValidator>();
        services.AddSingleton<CpuSampler>();
        services.AddHostedService(sp => sp.GetRequiredService<CpuSampler>());
        services.AddOptions<Scoring.TargetsOptions>().BindConfiguration(Scoring.TargetsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Scoring.TargetsOptions>, Scoring.TargetsOptionsValidator>();
        services.AddSingleton<Scoring.LiveScorecard>();

        services.AddGatewayTelemetry();
        services.AddSingleton<Admission>();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton<OpenAiEndpoints.Forwarding>();

        // OpenAI's JSON is snake_case (owned_by, context_length); so is everything this gateway writes.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o => o.OperationFilter<Proxy.Validation.RequestBodyFilter>());
        return builder;
    }

    private static MemoryPlan MemoryPlanFrom(IServiceProvider sp)
    {
        var model = sp.GetRequiredService<ServedModel>();
        var server = sp.GetRequiredService<IOptions<LlamaServerOptions>>().Value;
        // TotalAvailableMemoryBytes is the container's limit when there is one, else physical RAM.
        var plan = MemoryPlanner.Plan(sp.GetRequiredService<IOptions<MemoryOptions>>().Value, model.Info.FileSize, model.KvCache,
            server.ContextSize, server.Parallel, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            sp.GetRequiredService<IOptions<CpuOptions>>().Value.MemoryMaxBytes, LlamaServerCommand.KvCacheType(server));
        MemoryLog.Planned(sp.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.Memory"), plan);
        return plan;
    }
}
