using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>GET /metrics wants a key when Security:MetricsRequireKey is set or Security:MetricsKeys has any.</summary>
/// <remarks>
/// Middleware rather than an endpoint filter: the Prometheus exporter maps /metrics as a plain request delegate,
/// which endpoint filters do not wrap. Open by default, so a scraper needs no credential while /v1 does; the
/// metrics say how busy the model is and how many requests fail, never what was asked.
/// </remarks>
public sealed class MetricsKeyMiddleware(RequestDelegate next, IOptions<ApiKeyOptions> options)
{
    public const string Path = "/metrics";

    private readonly KeyRing? _keys = options.Value.MetricsNeedKey ? new([.. options.Value.ApiKeys, .. options.Value.MetricsKeys]) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        if (_keys is not null && context.Request.Path.StartsWithSegments(Path) && ApiKeyFilter.Refusal(_keys.Accepts(context.Request)) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }

        await next(context);
    }
}
