using LlmGateway;
using LlmGateway.Cpu;
using LlmGateway.Health;
using LlmGateway.Proxy;
using LlmGateway.Security;
using LlmGateway.Supervision;
using LlmGateway.Telemetry;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;

// appsettings.json beside the binary, wherever the gateway is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
// ASPNETCORE_URLS is read as a host setting, which appsettings.json's "Urls" would silently override;
// the variable must win over the file's default (as documented), and the command line over both.
builder.Configuration.AddEnvironmentVariables("ASPNETCORE_").AddCommandLine(args);
// Loopback unless told otherwise: the weakest of all sources, so any of them can change it.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [new("urls", "http://127.0.0.1:8080")] });
// As a Windows service (deploy/windows): service lifetime and the event log; a no-op everywhere else.
builder.Services.AddWindowsService(o => o.ServiceName = "LlmGateway");
builder.AddGatewayServices();
var app = builder.Build();

app.UseMiddleware<MetricsKeyMiddleware>();
app.UseSwagger();
app.UseSwaggerUI();
app.MapHealth();
app.MapOpenAi();
app.MapAdmin();
app.MapMetrics();

try
{
    // Validated here, before the host starts, so a bad setting gets one line instead of the host's stack trace.
    _ = app.Services.GetRequiredService<IOptions<LlamaServerOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<ApiKeyOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<CpuSamplerOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<CpuOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<LlmGateway.Model.ModelsOptions>>().Value;
    foreach (var model in app.Services.GetRequiredService<IReadOnlyList<LlmGateway.Hosting.ModelDefinition>>().Select(d => d.Model).Where(m => m.IsSynthetic))
    {
        app.Logger.LogWarning("Serving {Model}: a SYNTHETIC model with random weights. Its answers are gibberish; set Model:Path (or Models:N:Path) to a real GGUF file.", model.Id);
    }

    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartupErrors.IsUsers(e))
{
    // A bad setting or model is the user's to fix: say which, without a stack trace.
    Console.Error.WriteLine($"llmgateway: cannot start: {StartupErrors.Describe(e)}");
    return 2;
}
