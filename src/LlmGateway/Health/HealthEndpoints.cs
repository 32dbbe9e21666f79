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

    private static Results<Ok<Readiness>, JsonHttpResult<Readiness>> Ready(LlamaServerConnection connection)
    {
        var state = connection.State;
        var body = new Readiness(state.Status.ToString().ToLowerInvariant(), state.Reason, state.Pid, state.Starts, state.Crashes,
            state.IsReady ? null : state.LastLines);
        return state.IsReady ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public sealed record Liveness(string Status);

    public sealed record Readiness(string Status, string? Reason, int? Pid, int Starts, int Crashes, IReadOnlyList<string>? LastLines);
}
