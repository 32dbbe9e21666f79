using System.Globalization;

namespace LlmGateway.Errors;

/// <summary>Errors in the shape every OpenAI SDK parses: {"error":{"message","type","param","code"}}.</summary>
public static class OpenAiError
{
    public static IResult BadRequest(string message, string? param = null, string? code = null) =>
        Create(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static IResult Unauthorized(string message) =>
        Create(StatusCodes.Status401Unauthorized, message, "invalid_request_error", null, "invalid_api_key");

    public static IResult ModelNotFound(string model) =>
        Create(StatusCodes.Status404NotFound, $"The model '{model}' does not exist. GET /v1/models lists the models served here.", "invalid_request_error", "model", "model_not_found");

    public static IResult TooLarge(long limit) =>
        Create(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes (Proxy:MaxRequestBodyBytes).", "invalid_request_error", null, "request_too_large");

    /// <summary>A 400, not a 501: SDKs take every 5xx for a server fault and retry it, and this one no retry can fix.</summary>
    public static IResult EmbeddingsOff() =>
        Create(StatusCodes.Status400BadRequest, "Embeddings are off on this gateway: start it with LlamaServer:Embeddings=true.", "invalid_request_error", null, "unsupported");

    public static IResult TooManyRequests(string message, int retryAfterSeconds) =>
        Create(StatusCodes.Status429TooManyRequests, message, "rate_limit_exceeded", null, "queue_full", retryAfterSeconds);

    public static IResult Unavailable(string message, int retryAfterSeconds) =>
        Create(StatusCodes.Status503ServiceUnavailable, message, "server_error", null, "model_not_ready", retryAfterSeconds);

    public static IResult BadGateway(string message, int? retryAfterSeconds = null) =>
        Create(StatusCodes.Status502BadGateway, message, "server_error", null, "upstream_unreachable", retryAfterSeconds);

    public static IResult GatewayTimeout(string message) =>
        Create(StatusCodes.Status504GatewayTimeout, message, "server_error", null, "upstream_timeout");

    public static IResult Create(int status, string message, string type, string? param, string? code, int? retryAfterSeconds = null) =>
        new ErrorResult(status, new ErrorBody(new ErrorDetail(message, type, param, code)), retryAfterSeconds);

    public sealed record ErrorBody(ErrorDetail Error);

    public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

    private sealed class ErrorResult(int status, ErrorBody body, int? retryAfterSeconds) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (retryAfterSeconds is { } seconds)
            {
                httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            httpContext.Response.StatusCode = status;
            return httpContext.Response.WriteAsJsonAsync(body, httpContext.RequestAborted);
        }
    }
}
