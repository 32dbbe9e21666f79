using System.Buffers;
using System.Net.Http.Headers;
using LlmGateway.Cpu;
using LlmGateway.Errors;
using LlmGateway.Supervision;
using LlmGateway.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LlmGateway.Proxy;

/// <summary>Sends one request to llama-server and streams its answer back as it comes, chunk by chunk.</summary>
/// <remarks>
/// The timeout is an activity timeout (<see cref="ProgressTimeout"/>): it restarts after every chunk and while
/// llama-server's CPU time advances, so a long generation or a slow prefill is never cut, and a stalled child
/// is. The client's RequestAborted is linked, so a client that leaves closes the upstream connection and
/// llama-server stops generating.
/// Nothing is retried: once the body reached llama-server, the work may have begun.
/// </remarks>
public sealed partial class UpstreamForwarder(
    ChildProgress progress, IOptions<ProxyOptions> options, TimeProvider time, ILogger<UpstreamForwarder> logger)
{
    private const int RestartRetryAfterSeconds = 2;
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(options.Value.IdleTimeoutSeconds);

    /// <param name="streaming">
    /// llama-server closes the connection after every streamed answer although it announces keep-alive;
    /// asking for the close up front keeps that connection out of the pool, where the next request
    /// would find it dead and fail.
    /// </param>
    /// <param name="connection">The model's llama-server.</param>
    public async Task ForwardAsync(HttpContext context, LlamaServerTransport connection, HttpMethod method, string pathAndQuery, byte[]? body, bool streaming = false)
    {
        var aborted = context.RequestAborted;
        using var request = connection.CreateRequest(method, pathAndQuery);
        if (request is null)
        {
            await NotReady(connection.State, RestartRetryAfterSeconds).ExecuteAsync(context);
            return;
        }

        request.Headers.ConnectionClose = streaming;

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }

        using var activity = new ProgressTimeout(_idleTimeout, progress, time, aborted);
        HttpResponseMessage response;
        try
        {
            response = await connection.Invoker.SendAsync(request, activity.Token);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return; // the client left; nobody to answer
        }
        catch (OperationCanceledException)
        {
            await OpenAiError.GatewayTimeout($"llama-server made no progress for {_idleTimeout.TotalSeconds:0.###} s (Proxy:IdleTimeoutSeconds).").ExecuteAsync(context);
            return;
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, e.Message);
            await Unreachable(connection.State, e.Message).ExecuteAsync(context);
            return;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                await ReshapeErrorAsync(context, response, activity.Token);
                return;
            }

            await CopyResponseAsync(context, connection, response, activity);
        }
    }

    /// <param name="retryAfterSeconds">When a loading model should be ready (a failed one says 60).</param>
    public static IResult NotReady(ChildState state, int retryAfterSeconds) => OpenAiError.Unavailable(
        state.Status == ChildStatus.Failed
            ? $"The model is not available: {state.Reason}"
            : $"The model is {state.ModelState}; retry in {retryAfterSeconds} s.",
        retryAfterSeconds: state.Status == ChildStatus.Failed ? 60 : retryAfterSeconds);

    /// <summary>llama-server could not be reached, or its answer broke off before anything was sent on.</summary>
    private static IResult Unreachable(ChildState state, string reason)
    {
        // Ready here mostly means the supervisor has not yet seen the child die (it was killed mid-answer):
        // it will restart it, so the client is told when to come back, as for a 503.
        return state.IsReady ? OpenAiError.BadGateway($"llama-server could not be reached: {reason}", RestartRetryAfterSeconds) : NotReady(state, RestartRetryAfterSeconds);
    }

    /// <summary>Answers llama-server's error in the OpenAI shape; nothing has been written yet, so a failure can still get a status.</summary>
    private async Task ReshapeErrorAsync(HttpContext context, HttpResponseMessage response, CancellationToken ct)
    {
        IResult error;
        try
        {
            error = await UpstreamError.ReadAsync(response, ct);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            error = OpenAiError.GatewayTimeout($"llama-server made no progress on its error answer for {_idleTimeout.TotalSeconds:0.###} s (Proxy:IdleTimeoutSeconds).");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            error = OpenAiError.BadGateway($"llama-server's error answer broke off: {e.Message}", RestartRetryAfterSeconds);
        }

        await error.ExecuteAsync(context);
    }

    private async Task CopyResponseAsync(HttpContext context, LlamaServerTransport connection, HttpResponseMessage response, ProgressTimeout activity)
    {
        var http = context.Response;
        http.StatusCode = (int)response.StatusCode;
        var contentType = response.Content.Headers.ContentType;
        http.ContentType = contentType?.ToString();
        var streaming = contentType?.MediaType == "text/event-stream";
        if (streaming)
        {
            http.Headers.CacheControl = "no-cache";
            http.Headers["X-Accel-Buffering"] = "no"; // for an nginx in front of us
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var record = context.Features.Get<RequestRecord>();
        var usage = record is null || !response.IsSuccessStatusCode ? null : new UsageCapture(streaming);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var upstream = await response.Content.ReadAsStreamAsync(activity.Token);
            int read;
            while ((read = await upstream.ReadAsync(buffer, activity.Token)) > 0)
            {
                activity.Activity();
                var chunk = buffer.AsMemory(0, read);
                // Kestrel sends what WriteAsync gets at once when buffering is off: each SSE event leaves as it
                // came, with no flush of its own.
                await http.Body.WriteAsync(chunk, context.RequestAborted);

                if (record is not null && record.FirstContent is null && (!streaming || UsageCapture.HasContent(chunk.Span)))
                {
                    record.FirstContent = time.GetTimestamp();
                }

                usage?.Add(chunk.Span);
            }

            record?.Usage = usage?.Result();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            if (!context.RequestAborted.IsCancellationRequested && !http.HasStarted)
            {
                // llama-server failed after its headers but before a byte reached the client (killed, or hung while
                // prefilling a stream): the client can still get a status, and when to come back.
                http.Clear();
                LogUnreachable(logger, e.Message);
                await (e is OperationCanceledException
                    ? OpenAiError.GatewayTimeout($"llama-server made no progress for {_idleTimeout.TotalSeconds:0.###} s (Proxy:IdleTimeoutSeconds).")
                    : Unreachable(connection.State, e.Message)).ExecuteAsync(context);
            }
            else if (!context.RequestAborted.IsCancellationRequested)
            {
                // The answer has started: a status can no longer say it failed. Aborting the connection makes
                // the client see an error instead of a truncated answer that looks complete.
                LogAbortedMidResponse(logger, e.Message);
                record?.Broken = true;
                context.Abort();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "llama-server unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response aborted after it started: {Reason}")]
    private static partial void LogAbortedMidResponse(ILogger logger, string reason);
}
