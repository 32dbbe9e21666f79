using LlmGateway.Proxy;

namespace LlmGateway.Tests.InProcess;

/// <summary>Every error answer of llama-server reaches the client as Proxy/UpstreamError.cs says: status, type, code, OpenAI's shape.</summary>
[Collection(InProcessCollection.Name)]
public sealed class UpstreamErrorMappingTests(UpstreamErrorMappingTests.Gateway gateway) : IClassFixture<UpstreamErrorMappingTests.Gateway>
{
    public sealed class Gateway() : InProcessGateway();

    private const string Invalid = "invalid_request_error";
    private const string Server = "server_error";

    /// <summary>
    /// llama-server's own errors ({"error":{"code":NUMBER,"message","type"}}): upstream status, type and message, then the
    /// client's status, type and code. One 500 row per word of UpstreamError.InputProblems, each message holding that
    /// word alone where the list allows ("type must be" holds "must be", "invalid token" holds "invalid").
    /// </summary>
    public static TheoryData<int, string, string, int, string, string?> LlamaServerErrors => new()
    {
        { 501, "not_supported_error", "This server does not support embeddings. Start it with `--embeddings`", 400, Invalid, "unsupported" },
        { 500, Server, "[json.exception.out_of_range.403] key 'role' not found", 400, Invalid, "invalid_request" },
        { 500, Server, "parse error at line 1, column 7", 400, Invalid, "invalid_request" },
        { 500, Server, "[json.exception.type_error.302] type must be number, but is string", 400, Invalid, "invalid_request" },
        { 500, Server, "Failed to tokenize prompt", 400, Invalid, "invalid_request" },
        { 500, Server, "input (3662 tokens) is too large to process. increase the physical batch size", 400, Invalid, "invalid_request" },
        { 500, Server, "invalid token id 151999 in the prompt", 400, Invalid, "invalid_request" },
        { 500, Server, "Unsupported param: best_of", 400, Invalid, "invalid_request" },
        { 500, Server, "image input is not supported by this server", 400, Invalid, "invalid_request" },
        { 500, Server, "Only no echo is supported", 400, Invalid, "invalid_request" },
        { 500, Server, "'messages' is required", 400, Invalid, "invalid_request" },
        { 500, Server, "tool calls requires --jinja", 400, Invalid, "invalid_request" },
        { 500, Server, "n_probs must be between 0 and 100", 400, Invalid, "invalid_request" },
        { 500, Server, "the prompt must not be empty", 400, Invalid, "invalid_request" },
        { 500, Server, "expected a string for 'content'", 400, Invalid, "invalid_request" },
        { 500, Server, "invalid logit_bias", 400, Invalid, "invalid_request" },
        { 500, Server, "cannot use tools with stream", 400, Invalid, "invalid_request" },
        { 500, Server, "JSON schema conversion failed: unrecognized type 'integr'", 400, Invalid, "invalid_request" },
        { 500, Server, "failed to parse grammar", 400, Invalid, "invalid_request" },
        { 500, Server, "base64 decode failed for the image_url", 400, Invalid, "invalid_request" },
        { 500, Server, "failed to load image or audio file", 400, Invalid, "invalid_request" },
        { 500, Server, "failed to download the image at the url", 400, Invalid, "invalid_request" },
        // A 500 that names no input problem is the server's, and stays a 500 (which SDKs may retry).
        { 500, Server, "llama_decode failed: out of memory (KV cache full)", 500, Server, null },
        // Other statuses pass through with llama-server's type; its numeric code is dropped (OpenAI's is a string).
        { 400, "exceed_context_size_error", "the request exceeds the available context size, try increasing it", 400, "exceed_context_size_error", null },
        { 401, "authentication_error", "Invalid API Key", 401, "authentication_error", null },
        { 404, "not_found_error", "File Not Found", 404, "not_found_error", null },
        { 503, "unavailable_error", "Loading model", 503, "unavailable_error", null },
    };

    /// <summary>Bodies that are not llama-server's usual shape: upstream status, body and content type, then what the client gets.</summary>
    public static TheoryData<int, string, string, int, string, string?, string?, string> OtherBodies => new()
    {
        // OpenAI's own shape, string param and code included, passes through as it is.
        {
            400, """{"error":{"message":"This model's maximum context length is 2048 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""", "application/json",
            400, Invalid, "messages", "context_length_exceeded", "This model's maximum context length is 2048 tokens"
        },
        // A 500 that blames the input is corrected whole: its type and its code are the gateway's.
        {
            500, """{"error":{"message":"Failed to tokenize prompt","type":"server_error","param":null,"code":"tokenize_failed"}}""", "application/json",
            400, Invalid, null, "invalid_request", "Failed to tokenize prompt"
        },
        { 503, """{"error":"the model is loading"}""", "application/json", 503, Server, null, null, "the model is loading" },
        { 500, "[1,2,3]", "application/json", 500, Server, null, null, "[1,2,3]" },
        { 500, "Internal Server Error", "text/plain", 500, Server, null, null, "Internal Server Error" },
        { 500, "Unsupported param: best_of", "text/plain", 400, Invalid, null, "invalid_request", "Unsupported param: best_of" },
        { 501, "Not Implemented", "text/plain", 400, Invalid, null, "unsupported", "Not Implemented" },
        { 502, "", "text/plain", 502, Server, null, null, "llama-server answered 502 Bad Gateway." },
    };

    [Theory]
    [MemberData(nameof(LlamaServerErrors))]
    public async Task LlamaServerError_ReachesTheClient_Mapped(int upstreamStatus, string upstreamType, string message, int status, string type, string? code)
    {
        var scenario = gateway.Upstream.Add(Replies.LlamaError(upstreamStatus, message, upstreamType));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt);

        var error = SdkCalls.Check(e, status, type, code);
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.Equal(1, scenario.Arrivals); // answered by llama-server, not by the gateway's own checks
    }

    [Theory]
    [MemberData(nameof(OtherBodies))]
    public async Task OtherErrorBody_ReachesTheClient_Mapped(
        int upstreamStatus, string body, string contentType, int status, string type, string? param, string? code, string message)
    {
        var scenario = gateway.Upstream.Add(Replies.Error(upstreamStatus, body, contentType));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt);

        var error = SdkCalls.Check(e, status, type, code, param);
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task StreamRequest_ErrorBeforeTheStream_IsMappedToo()
    {
        var scenario = gateway.Upstream.Add(Replies.LlamaError(500, "Failed to tokenize prompt", Server));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt, stream: true);

        SdkCalls.Check(e, 400, Invalid, "invalid_request");
    }

    [Fact]
    public async Task LongErrorBody_IsCutAt16KiB_NotBuffered()
    {
        var scenario = gateway.Upstream.Add(Replies.Error(500, new string('x', 20 * 1024), "text/plain"));

        var e = await SdkCalls.RefusedAsync(gateway.Chat(), scenario.Prompt);

        var error = SdkCalls.Check(e, 500, Server, null);
        Assert.Equal(new string('x', 16 * 1024), error.GetProperty("message").GetString());
    }

    [Fact]
    public void Classify_AgreesWithWhatTheClientsGet()
    {
        // The one place that decides, called directly: the rows above went through it over HTTP.
        Assert.Equal((400, Invalid, "unsupported"), UpstreamError.Classify(501, "anything"));
        Assert.Equal((400, Invalid, "invalid_request"), UpstreamError.Classify(500, "FAILED TO TOKENIZE PROMPT"));
        Assert.Equal((500, Server, null), UpstreamError.Classify(500, "out of memory"));
        Assert.Equal((502, Server, null), UpstreamError.Classify(502, "Failed to tokenize prompt"));
        Assert.Equal((404, Invalid, null), UpstreamError.Classify(404, "File Not Found"));
    }
}
