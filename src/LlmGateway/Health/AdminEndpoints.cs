using LlmGateway.Cpu;
using LlmGateway.Proxy;
using LlmGateway.Security;

namespace LlmGateway.Health;

/// <summary>Operator views of llama-server, behind the same API keys as /v1.</summary>
public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin").WithTags("Admin").AddEndpointFilter<ApiKeyFilter>();
        group.MapGet("/slots", (HttpContext c, UpstreamForwarder f) => f.ForwardAsync(c, HttpMethod.Get, "/slots", null))
            .WithSummary("llama-server's slots: what each is processing now");
        group.MapGet("/llama-server/metrics", (HttpContext c, UpstreamForwarder f) => f.ForwardAsync(c, HttpMethod.Get, "/metrics", null))
            .WithSummary("llama-server's own Prometheus metrics (llamacpp:*)");
        group.MapGet("/cpu", (CpuSampler sampler) => TypedResults.Ok(sampler.Snapshot()))
            .WithSummary("llama-server's and the system's CPU (percent of the machine) over the sliding window, and its RSS");
        return group;
    }
}
