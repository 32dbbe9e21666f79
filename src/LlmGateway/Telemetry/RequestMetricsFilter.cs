using LlmGateway.Cpu;

namespace LlmGateway.Telemetry;

/// <summary>Times every forwarded /v1 request, whatever answers it: the API key check, validation, admission or llama-server.</summary>
/// <remarks>Outermost filter of the /v1 group, so a 401 from the key check is counted too.</remarks>
public sealed class RequestMetricsFilter(GatewayMetrics metrics, RequestActivity activity, TimeProvider time) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var endpoint = http.Request.Path.Value switch
        {
            "/v1/chat/completions" => "chat_completions",
            "/v1/completions" => "completions",
            "/v1/embeddings" => "embeddings",
            _ => null,
        };
        if (endpoint is null || !HttpMethods.IsPost(http.Request.Method))
        {
            return await next(context);
        }

        var record = new RequestRecord(endpoint, time.GetTimestamp());
        http.Features.Set(record);
        metrics.RequestStarted();
        activity.RequestStarted();
        object? result = null;
        var failed = true;
        try
        {
            result = await next(context);
            failed = false;
            return result;
        }
        finally
        {
            // A result returned here (the key check's 401) is written after the filters; its status is in the result.
            var status = failed ? StatusCodes.Status500InternalServerError
                : result is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
            var firstContent = record.FirstContent is { } first ? time.GetElapsedTime(record.Started, first) : (TimeSpan?)null;
            metrics.RequestEnded(record, status, http.RequestAborted.IsCancellationRequested, time.GetElapsedTime(record.Started), firstContent);
            activity.RequestEnded();
        }
    }
}
