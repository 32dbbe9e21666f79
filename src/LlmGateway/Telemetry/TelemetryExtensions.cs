using LlmGateway.Cpu;
using LlmGateway.Scoring;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LlmGateway.Telemetry;

/// <summary>OpenTelemetry metrics for the gateway, exported for Prometheus at /metrics.</summary>
public static class TelemetryExtensions
{
    // LLM work spans milliseconds (a cached prompt's first token) to minutes (a long generation on a capped CPU).
    private static readonly double[] Seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
    private static readonly double[] PerToken = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private static readonly double[] TokensPerSecond = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

    // Fine around the budgets users set (2 %, 35 %, 50 %) so histogram_quantile can tell them apart.
    private static readonly double[] CpuRatio = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1];

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        // The layers below report through interfaces of their own; the metrics are what listens.
        services.AddSingleton<ICpuSampleEvents>(sp => sp.GetRequiredService<GatewayMetrics>());
        services.AddSingleton<IRequestLatencies>(sp => sp.GetRequiredService<GatewayMetrics>());
        services.AddHostedService<ObservedMetrics>();
        services.AddSingleton<RequestMetricsFilter>();
        services.AddSingleton<LlamaCppMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<LlamaCppMetrics>());
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("llmgateway"))
            .WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            .AddView(GatewayMetrics.RequestDuration, Buckets(Seconds))
            .AddView(GatewayMetrics.TimeToFirstToken, Buckets(Seconds))
            .AddView(GatewayMetrics.QueueWait, Buckets(Seconds))
            .AddView(GatewayMetrics.PrefillDuration, Buckets(Seconds))
            .AddView(GatewayMetrics.DecodeDuration, Buckets(Seconds))
            .AddView(GatewayMetrics.ChildStartDuration, Buckets(Seconds))
            .AddView(GatewayMetrics.TimePerOutputToken, Buckets(PerToken))
            .AddView(GatewayMetrics.PrefillSpeed, Buckets(TokensPerSecond))
            .AddView(GatewayMetrics.DecodeSpeed, Buckets(TokensPerSecond))
            .AddView(GatewayMetrics.ChildCpu, Buckets(CpuRatio))
            .AddView(GatewayMetrics.SystemCpu, Buckets(CpuRatio))
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>GET /metrics in Prometheus' text format.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapPrometheusScrapingEndpoint().WithTags("Telemetry");
        return routes;
    }

    private static ExplicitBucketHistogramConfiguration Buckets(double[] boundaries) => new() { Boundaries = boundaries };
}
