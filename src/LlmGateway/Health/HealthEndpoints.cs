using LlmGateway.Cpu;
using LlmGateway.Supervision;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmGateway.Health;

/// <summary>/health: the gateway process answers. /ready: llama-server is loaded and serving.</summary>
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

    private static Results<Ok<Readiness>, JsonHttpResult<Readiness>> Ready(LlamaServerConnection connection, CpuSampler sampler, YieldController yield)
    {
        var state = connection.State;
        var wait = state.Pid is null ? null : sampler.ChildWaitRatio;
        var body = new Readiness(state.Status.ToString().ToLowerInvariant(), state.Reason, state.Pid, state.Starts, state.Crashes,
            wait is { } w ? Math.Round(w, 3) : null, wait >= WaitingRatio, yield.Priority, state.IsReady ? null : state.LastLines);
        return state.IsReady ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public sealed record Liveness(string Status);

    /// <param name="CpuWaitRatio">The share of the last second llama-server spent runnable but not running.</param>
    /// <param name="WaitingForCpu">True when that share is above one half: held back by the cap, its priority, or a busy machine.</param>
    /// <param name="Priority">normal or idle while the plan yields; null when it does not.</param>
    public sealed record Readiness(
        string Status, string? Reason, int? Pid, int Starts, int Crashes, double? CpuWaitRatio, bool WaitingForCpu, string? Priority,
        IReadOnlyList<string>? LastLines);
}
