using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>Bad requests: each is refused with the status an SDK maps to its exception, and an OpenAI-shaped body.</summary>
/// <remarks>
/// Every case goes through the SDK (its protocol method sends any body, even broken JSON) and again through a plain
/// HttpClient, which sees the raw answer: status, content type and body.
/// </remarks>
[Collection(ApiGateways.Name)]
public sealed class ApiErrorTests(ApiGateways gateways)
{
    private const string Hello = """[{"role":"user","content":"hi"}]""";

    [Theory]
    [InlineData("""{"messages":""", 400, null, "invalid_json")]
    [InlineData("""["not", "an", "object"]""", 400, null, null)]
    [InlineData("""{"messages":"hi"}""", 400, "messages", "invalid_type")]
    [InlineData($$"""{"messages":{{Hello}},"max_tokens":"ten"}""", 400, "max_tokens", "invalid_type")]
    [InlineData($$"""{"messages":{{Hello}},"max_tokens":0}""", 400, "max_tokens", "invalid_value")]
    [InlineData($$"""{"messages":{{Hello}},"temperature":2.5}""", 400, "temperature", "invalid_value")]
    [InlineData($$"""{"messages":{{Hello}},"max_tokens":2049}""", 400, "max_tokens", "invalid_value")]
    [InlineData($$"""{"messages":{{Hello}},"n":2}""", 400, "n", "unsupported_value")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"},{"role":"robot","content":"hi"}]}""", 400, "messages[1].role", "invalid_value")]
    [InlineData($$"""{"messages":{{Hello}},"messages":{{Hello}}}""", 400, null, "invalid_json")]
    [InlineData($$"""{"messages":{{Hello}},"reasoning_format":5}""", 400, null, "invalid_request")]
    [InlineData($$"""{"messages":{{Hello}},"stream":"yes"}""", 400, "stream", "invalid_type")]
    [InlineData($$"""{"messages":{{Hello}},"model":42}""", 400, "model", "invalid_type")]
    [InlineData("""{"max_tokens":5}""", 400, "messages", "missing_required_parameter")]
    [InlineData("""{"messages":[]}""", 400, "messages", "invalid_value")]
    [InlineData("""{"messages":[{"content":"hi"}]}""", 400, "messages[0].role", "missing_required_parameter")]
    [InlineData($$"""{"messages":{{Hello}},"model":"no-such-model"}""", 404, "model", "model_not_found")]
    public async Task Chat_BadRequest_RaisesTheSdkExceptionWithAnOpenAiError(string body, int status, string? param, string? code)
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            gateways.Chat(gateways.Main).CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(body)), new RequestOptions()));
        Assert.Equal(status, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), param, code);

        using var response = await gateways.Main.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertRawErrorAsync(response, status, param, code);
    }

    [Fact]
    public async Task Chat_UnknownModel_RaisesA404FromTheTypedSdkCall()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            gateways.Chat(gateways.Main, "no-such-model").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, e.Status);
        var error = ApiErrorShape.Check(ApiErrorShape.Body(e), "model", "model_not_found");
        Assert.Contains("no-such-model", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Chat_BodyOverTheLimit_Is413()
    {
        var message = new UserChatMessage(new string('a', 100 * 1024));

        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateways.Chat(gateways.Main).CompleteChatAsync([message]));

        Assert.Equal(413, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "request_too_large");
    }

    [Fact]
    public async Task Chat_ChunkedBodyOverTheLimit_Is413()
    {
        // Chunked transfer announces no Content-Length: the limit must hold while the body is read.
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            model = gateways.ModelId,
            max_tokens = 1,
            messages = new[] { new { role = "user", content = new string('a', 100 * 1024) } },
        }));

        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            gateways.Chat(gateways.Main).CompleteChatAsync(new UnknownLengthContent(body), new RequestOptions()));
        Assert.Equal(413, e.Status);
        ApiErrorShape.Check(ApiErrorShape.Body(e), null, "request_too_large");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ChunkedContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await gateways.Main.Http.SendAsync(request);
        Assert.True(request.Headers.TransferEncodingChunked);
        await AssertRawErrorAsync(response, 413, null, "request_too_large");
    }

    [Fact]
    public async Task Chat_BodyOfExactlyTheLimit_IsAnswered()
    {
        // The counterpart of the 413s: the limit refuses what passes it, not merely what is large. The padding is
        // JSON whitespace, so that the prompt stays short.
        var body = JsonSerializer.Serialize(new { model = gateways.ModelId, max_tokens = 1, messages = new[] { new { role = "user", content = "hi" } } });
        body += new string(' ', ApiGateways.MaxRequestBodyBytes - Encoding.UTF8.GetByteCount(body));

        using var response = await gateways.Main.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task AssertRawErrorAsync(HttpResponseMessage response, int status, string? param, string? code)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        ApiErrorShape.Check(await response.Content.ReadAsStringAsync(), param, code);
    }

    /// <summary>A body of unknown length, which HttpClient sends chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A body whose length is not known up front, so the SDK's HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : BinaryContent
    {
        public override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        public override void WriteTo(Stream stream, CancellationToken cancellationToken = default) => stream.Write(bytes);

        public override Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default) =>
            stream.WriteAsync(bytes, cancellationToken).AsTask();

        public override void Dispose()
        {
        }
    }
}
