using LlmGateway.Cpu;
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
        group.MapGet("/models", ListModels).WithSummary("The model served, and its aliases");
        // A catch-all, so an id with a '/' (Hugging Face names such as Qwen/Qwen2.5-7B-Instruct) is one id, not two segments.
        group.MapGet("/models/{**id}", GetModel).WithSummary("One model");
        return group;
    }

    private static Ok<ModelList> ListModels(ServedModel model) =>
        TypedResults.Ok(new ModelList([.. new[] { model.Id }.Concat(model.Aliases).Select(id => ModelCard.From(model, id))]));

    private static IResult GetModel(string id, ServedModel model)
    {
        // Kestrel decodes every escape in the path except %2F, which SDKs send for a '/' in the id.
        id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        return model.Answers(id) ? TypedResults.Ok(ModelCard.From(model, id)) : OpenAiError.ModelNotFound(id);
    }

    /// <summary>The shared path of every forwarded POST: read and check, wait for a slot, forward.</summary>
    public sealed class Forwarding(
        ServedModel model, Admission admission, UpstreamForwarder forwarder, IOptions<ProxyOptions> options,
        IOptions<LlamaServerOptions> server, LlamaServerConnection connection, YieldController yield, TimeProvider time)
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

            var slotContext = server.Value.ContextSize / server.Value.Parallel;
            var (request, error) = await OpenAiRequest.ReadAsync(context.Request, operation, options.Value.MaxRequestBodyBytes, slotContext, model, ct);
            if (error is not null)
            {
                await error.ExecuteAsync(context);
                return;
            }

            if (!connection.State.IsReady)
            {
                await UpstreamForwarder.NotReady(connection.State).ExecuteAsync(context);
                return;
            }

            var record = context.Features.Get<RequestRecord>();
            record?.Stream = request!.Stream;
            // From arrival: time in the queue counts towards the latency budget that lifts llama-server's priority.
            using var demand = yield.Begin();
            var queued = time.GetTimestamp();
            using var slot = await admission.EnterAsync(ct);
            record?.QueueWait = time.GetElapsedTime(queued);
            if (slot is null)
            {
                if (!ct.IsCancellationRequested)
                {
                    await OpenAiError.TooManyRequests(
                        $"All {admission.InFlight} slots are busy and the queue is full or the wait passed Proxy:QueueTimeoutSeconds.", 1).ExecuteAsync(context);
                }

                return;
            }

            await forwarder.ForwardAsync(context, HttpMethod.Post, path, request!.Body, request.Stream);
        }
    }
}
