using LlmGateway.Cpu;
using LlmGateway.Hosting;
using LlmGateway.Supervision;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmGateway.Health;

/// <summary>/health: the gateway process answers. /ready: the gateway can serve every model (each ready, or unloaded and loadable on demand).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok(new Liveness("alive"))).WithTags("Health");
        routes.MapGet("/ready", Ready).WithTags("Health");
        return routes;
    }

    /// <summary>Above this share of a second spent waiting for CPU, /ready says llama-server is waiting for CPU.</summary>
    private const double WaitingRatio = 0.5;

    /// <remarks>
    /// Ready when no model failed for good and every preloaded model serves (or was unloaded after its keep-alive): a
    /// model loaded on demand, or unloaded, does not make the gateway unready. The top-level fields are the first
    /// model's, as with one model.
    /// </remarks>
    private static Results<Ok<Readiness>, JsonHttpResult<Readiness>> Ready(ModelRegistry models, CpuSampler sampler, YieldController yield)
    {
        var states = models.Hosts.Select(h => (Host: h, State: h.State)).ToList();
        var ready = states.All(s => s.State.Status switch
        {
            ChildStatus.Ready => true,
            ChildStatus.Failed => false,
            ChildStatus.Unloaded => !s.Host.Definition.Preload || s.State.Starts > 0,
            _ => !s.Host.Definition.Preload,
        });
        var state = states[0].State;
        var wait = models.Running.Count == 0 ? null : sampler.ChildWaitRatio;
        var body = new Readiness(
            Status(state), state.Reason, state.Pid, state.Starts, state.Crashes,
            wait is { } w ? Math.Round(w, 3) : null, wait >= WaitingRatio, yield.Priority, state.IsReady ? null : state.LastLines,
            [.. states.Select(s => new ModelReadiness(s.Host.Id, s.State.ModelState, s.State.Reason, s.State.Pid, s.State.Starts, s.State.Crashes))]);
        return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The child's status as /ready has always said it (starting, ready, restarting, failed), plus unloaded.</summary>
    private static string Status(ChildState state) => state.Status.ToString().ToLowerInvariant();

    public sealed record Liveness(string Status);

    /// <param name="CpuWaitRatio">The share of the last second llama-server spent runnable but not running.</param>
    /// <param name="WaitingForCpu">True when that share is above one half: held back by the cap, its priority, or a busy machine.</param>
    /// <param name="Priority">normal or idle while the plan yields; null when it does not.</param>
    /// <param name="Models">Every model's state.</param>
    public sealed record Readiness(
        string Status, string? Reason, int? Pid, int Starts, int Crashes, double? CpuWaitRatio, bool WaitingForCpu, string? Priority,
        IReadOnlyList<string>? LastLines, IReadOnlyList<ModelReadiness> Models);

    /// <param name="State">unloaded, loading, ready or failed.</param>
    public sealed record ModelReadiness(string Id, string State, string? Reason, int? Pid, int Starts, int Crashes);
}
