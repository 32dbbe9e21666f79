using LlmGateway.Cpu;
using LlmGateway.Errors;
using LlmGateway.Hosting;
using LlmGateway.Memory;
using LlmGateway.Proxy;
using LlmGateway.Scoring;
using LlmGateway.Security;

using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmGateway.Health;

/// <summary>Operator views of llama-server, behind the same API keys as /v1 (Security:ProtectAdmin).</summary>
public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin").WithTags("Admin").AddEndpointFilter<AdminKeyFilter>();
        group.MapGet("/slots", (HttpContext c, UpstreamForwarder f, ModelRegistry models, string? model) => ForwardAsync(c, f, models, model, "/slots"))
            .WithSummary("A model's llama-server slots (query model: its id or alias; default the first model): what each is processing now");
        group.MapGet("/llama-server/metrics", (HttpContext c, UpstreamForwarder f, ModelRegistry models, string? model) => ForwardAsync(c, f, models, model, "/metrics"))
            .WithSummary("A model's llama-server's own Prometheus metrics (llamacpp:*; query model, default the first model)");
        group.MapPost("/models/{**id}", ModelCommandAsync)
            .WithSummary("POST /admin/models/{id}/load starts a model (again, if it failed) and answers at once with its state; POST /admin/models/{id}/unload stops its llama-server and answers once it is gone");
        group.MapGet("/cpu", (CpuSampler sampler) => TypedResults.Ok(sampler.Snapshot()))
            .WithSummary("llama-server's and the system's CPU (percent of the machine) over the sliding window, and its RSS");
        group.MapGet("/cpu/samples", (CpuSampler sampler, long? after) => TypedResults.Ok(CpuSamples.From(sampler, after)))
            .WithSummary("The sampler's samples numbered after 'after' (-1: all it keeps; absent: none, only 'next'), and 'next', the number the next sample will get: the raw samples of an interval, as llmgw report reads them");
        group.MapGet("/scorecard", Results<Ok<ScorecardReport>, BadRequest<AdminQueryError>> (LiveScorecard scorecard, double? window) =>
            window is { } w && !(w is > 0 and <= 86_400) ? TypedResults.BadRequest(new AdminQueryError("window must be a number of seconds, more than 0"))
            : TypedResults.Ok(scorecard.Current(TimeSpan.FromSeconds(window ?? 300))))
            .WithSummary("The running service against its targets (section Targets) over the last 'window' seconds (default 300, at most what the sampler keeps)");
        group.MapGet("/cpu/plan", (CpuGovernor governor) => TypedResults.Ok(governor.Report()))
            .WithSummary("The CPU plan derived from the budget, which backend enforces each part, and which backends were refused and why");
        group.MapGet("/memory", (MemoryPlan plan, CpuSampler sampler, CpuGovernor governor) => TypedResults.Ok(MemoryReport.From(plan, sampler, governor)))
            .WithSummary("The memory budget, how it sizes llama-server's caches (--cache-ram), the cgroup limits, and the RSS of the gateway and llama-server against it");
        group.MapPut("/cpu/cap", Results<Ok<CpuPlanReport>, Conflict<CpuCapRefused>, BadRequest<CpuCapRefused>> (CpuCapChange change, CpuGovernor governor) =>
            change.CapPercent is < 1 or > 100 ? TypedResults.BadRequest(new CpuCapRefused("cap_percent must be 1 to 100, or null for no cap"))
            : governor.SetCap(change.CapPercent) is { } reason ? TypedResults.Conflict(new CpuCapRefused(reason))
            : TypedResults.Ok(governor.Report()))
            .WithSummary("Changes llama-server's CPU cap while it runs (percent of the machine; null removes it), where the backend allows");
        return group;
    }

    private static Task ForwardAsync(HttpContext context, UpstreamForwarder forwarder, ModelRegistry models, string? model, string path) =>
        models.Find(model) is { } host
            ? forwarder.ForwardAsync(context, host.Transport, HttpMethod.Get, path, null)
            : OpenAiError.ModelNotFound(model!).ExecuteAsync(context);

    /// <summary>The {**id} route takes ids with '/' in them; the command is the last segment.</summary>
    private static async Task<IResult> ModelCommandAsync(string id, ModelRegistry models)
    {
        id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        var slash = id.LastIndexOf('/');
        var (name, command) = slash < 0 ? (id, "") : (id[..slash], id[(slash + 1)..]);
        if (command is not ("load" or "unload"))
        {
            return TypedResults.NotFound(new AdminQueryError("POST /admin/models/{id}/load or /admin/models/{id}/unload"));
        }

        if (models.Find(name) is not { } host)
        {
            return OpenAiError.ModelNotFound(name);
        }

        if (command == "load")
        {
            host.Supervisor.Load(retryFailed: true);
        }
        else
        {
            await host.UnloadAsync("admin");
        }

        var state = host.State;
        return TypedResults.Ok(new ModelCommandResult(host.Id, state.ModelState, state.Reason, state.Pid));
    }
}

/// <summary>What POST /admin/models/{id}/load and /unload answer: the model's state after the command.</summary>
public sealed record ModelCommandResult(string Id, string State, string? Reason, int? Pid);

/// <summary>Body of PUT /admin/cpu/cap.</summary>
public sealed record CpuCapChange(double? CapPercent);

/// <summary>Why a cap change was not made.</summary>
public sealed record CpuCapRefused(string Error);

/// <summary>Why an admin query was refused.</summary>
public sealed record AdminQueryError(string Error);

/// <summary>GET /admin/cpu/samples: samples numbered from the one after 'after'; ask again with after = next - 1.</summary>
/// <param name="Dropped">Samples asked for that were no longer kept: the reader fell behind by more than the log holds.</param>
public sealed record CpuSamples(int IntervalMs, long Next, long Dropped, IReadOnlyList<LoggedSample> Samples)
{
    public static CpuSamples From(CpuSampler sampler, long? after)
    {
        var (samples, dropped) = after is { } a ? sampler.Log.After(a) : ((IReadOnlyList<LoggedSample>)[], 0L);
        return new CpuSamples((int)sampler.Interval.TotalMilliseconds, samples.Count > 0 ? samples[^1].Sequence + 1 : sampler.Log.Next, dropped, samples);
    }
}
