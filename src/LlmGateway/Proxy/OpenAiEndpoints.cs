using LlmGateway.Cpu;
using LlmGateway.Errors;
using LlmGateway.Hosting;
using LlmGateway.Model;
using LlmGateway.Security;
using LlmGateway.Supervision;
using LlmGateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LlmGateway.Proxy;

/// <summary>The OpenAI surface: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models.</summary>
public static class OpenAiEndpoints
{
    public static RouteGroupBuilder MapOpenAi(this IEndpointRouteBuilder routes)
    {
        // Each POST carries its OpenAiOperation as metadata: Validation.RequestBodyFilter writes its body's shape into the OpenAPI document.
        var group = routes.MapGroup("/v1").WithTags("OpenAI").AddEndpointFilter<RequestMetricsFilter>().AddEndpointFilter<ApiKeyFilter>();

        group.MapPost("/chat/completions", (HttpContext c, Forwarding f) => f.HandleAsync(c, OpenAiOperation.ChatCompletions, "/v1/chat/completions"))
            .WithSummary("Chat completion, streamed (stream: true) as server-sent events or not").WithMetadata(OpenAiOperation.ChatCompletions);
        group.MapPost("/completions", (HttpContext c, Forwarding f) => f.HandleAsync(c, OpenAiOperation.Completions, "/v1/completions"))
            .WithSummary("Text completion (legacy)").WithMetadata(OpenAiOperation.Completions);
        group.MapPost("/embeddings", (HttpContext c, Forwarding f) => f.HandleAsync(c, OpenAiOperation.Embeddings, "/v1/embeddings"))
            .WithSummary("Embeddings (LlamaServer:Embeddings must be on)").WithMetadata(OpenAiOperation.Embeddings);
        group.MapGet("/models", ListModels).WithSummary("Every model served, and its aliases, with its state (unloaded, loading, ready, failed) and what its GGUF file says");
        // A catch-all, so an id with a '/' (Hugging Face names such as Qwen/Qwen2.5-7B-Instruct) is one id, not two segments.
        group.MapGet("/models/{**id}", GetModel).WithSummary("One model");
        return group;
    }

    private static Ok<ModelList> ListModels(ModelRegistry models) =>
        TypedResults.Ok(new ModelList([.. models.Hosts.SelectMany(h => h.Definition.Model.Aliases.Prepend(h.Id).Select(id => Card(h, id)))]));

    private static IResult GetModel(string id, ModelRegistry models)
    {
        // Kestrel decodes every escape in the path except %2F, which SDKs send for a '/' in the id.
        id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        return models.Find(id) is { } host ? TypedResults.Ok(Card(host, id)) : OpenAiError.ModelNotFound(id);
    }

    private static ModelCard Card(ModelHost host, string id) => ModelCard.From(host.Definition.Model, id) with
    {
        State = host.State.ModelState,
        LoadSeconds = host.Supervisor.LastLoadTime is { } t ? Math.Round(t.TotalSeconds, 3) : null,
        KeepAliveSeconds = host.Definition.KeepAlive.TotalSeconds,
        CpuWeight = host.Definition.Cpu.Weight,
        UnloadsAt = host.KeepAlive.ExpiresAt,
    };

    /// <summary>The shared path of every forwarded POST: read and check, find the model (loading it if need be), wait for a slot, forward.</summary>
    public sealed class Forwarding(
        ModelRegistry models, UpstreamForwarder forwarder, IOptions<ProxyOptions> options,
        IOptions<LlamaServerOptions> server, YieldController yield, TimeProvider time)
    {
        public async Task HandleAsync(HttpContext context, OpenAiOperation operation, string path)
        {
            var ct = context.RequestAborted;
            if (operation == OpenAiOperation.Embeddings && !server.Value.Embeddings)
            {
                // Answered here rather than by llama-server, whose refusal names its own flag and is not OpenAI-shaped.
                await OpenAiError.EmbeddingsOff().ExecuteAsync(context);
                return;
            }

            var (request, error) = await OpenAiRequest.ReadAsync(context.Request, operation, options.Value.MaxRequestBodyBytes, models, ct);
            if (error is not null)
            {
                await error.ExecuteAsync(context);
                return;
            }

            var model = request!.Model;
            var record = context.Features.Get<RequestRecord>();
            record?.Model = model.Id;
            record?.Stream = request.Stream;

            // In flight from here: the model is not unloaded under this request, and its keep-alive restarts when it ends.
            using var kept = model.KeepAlive.Begin();
            var state = await model.AcquireAsync(models.LoadWait, ct);
            if (!state.IsReady)
            {
                if (!ct.IsCancellationRequested)
                {
                    await UpstreamForwarder.NotReady(state, model.RetryAfterSeconds()).ExecuteAsync(context);
                }

                return;
            }

            // From arrival: time in the queue counts towards the latency budget that lifts llama-server's priority.
            using var demand = yield.Begin();
            var queued = time.GetTimestamp();
            using var slot = await model.Admission.EnterAsync(ct);
            record?.QueueWait = time.GetElapsedTime(queued);
            if (slot is null)
            {
                if (!ct.IsCancellationRequested)
                {
                    await OpenAiError.TooManyRequests(
                        $"All {model.Admission.InFlight} slots of {model.Id} are busy and the queue is full or the wait passed Proxy:QueueTimeoutSeconds.", 1).ExecuteAsync(context);
                }

                return;
            }

            await forwarder.ForwardAsync(context, model.Transport, HttpMethod.Post, path, request.Body, request.Stream);
        }
    }
}
