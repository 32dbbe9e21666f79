using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace LlmGateway.Tests.Fuzz;

/// <summary>Sends a fuzz case the way its transport says, and returns what came back.</summary>
internal sealed class FuzzClient(GatewayProcess gateway, string model) : IDisposable
{
    /// <summary>Longer than the tests' usual minute: on a loaded machine a request may queue behind two slots' prompts.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(170);

    private readonly HttpClient _http = new() { BaseAddress = gateway.BaseUri, Timeout = Timeout };
    private readonly ChatClient _chat = new(model, new ApiKeyCredential("unused"), Options(gateway));
    private readonly EmbeddingClient _embeddings = new(model, new ApiKeyCredential("unused"), Options(gateway));

    public void Dispose() => _http.Dispose();

    private static OpenAI.OpenAIClientOptions Options(GatewayProcess gateway)
    {
        var options = ApiGateways.Options(gateway);
        options.NetworkTimeout = Timeout;
        return options;
    }

    public async Task<FuzzAnswer> SendAsync(FuzzCase c, CancellationToken ct)
    {
        if (c.Typed is { } typed)
        {
            return await TypedAsync(typed, ct);
        }

        return c.Transport switch
        {
            Transport.Sdk when c.Path == "/v1/chat/completions" => Answer(await _chat.CompleteChatAsync(Content(c.Body), NoThrow(ct))),
            Transport.Sdk when c.Path == "/v1/embeddings" => Answer(await _embeddings.GenerateEmbeddingsAsync(Content(c.Body), NoThrow(ct))),
            Transport.ShortContentLength => await RawHttp.SendAsync(gateway.BaseUri, Head(c, $"Content-Type: application/json\r\nContent-Length: {Math.Max(0, c.Body.Length - c.Delta)}"), c.Body, false, ct),
            // At most 1 KiB is sent: Kestrel ends a stalled body when its average rate falls below 240 B/s, about 5 s
            // for 1 KiB but nearly 3 minutes for 40 KiB.
            Transport.LongContentLength => await RawHttp.SendAsync(gateway.BaseUri, Head(c, $"Content-Type: application/json\r\nContent-Length: {c.Body.Length + c.Delta}"), c.Body[..Math.Min(c.Body.Length, 1024)], false, ct),
            Transport.BadFraming => await RawHttp.SendAsync(gateway.BaseUri, Head(c, c.Variant.Replace("{length}", c.Body.Length.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)), c.Body, true, ct),
            _ => await HttpAsync(c, ct),
        };
    }

    private static string Head(FuzzCase c, string headers) => $"POST {c.Path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}";

    private async Task<FuzzAnswer> HttpAsync(FuzzCase c, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, c.Path);
        request.Content = c.Transport == Transport.Chunked ? new UnknownLength(c.Body) : new ByteArrayContent(c.Body);
        var contentType = c.Transport == Transport.OddContentType ? c.Variant : "application/json";
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (c.Transport == Transport.OddHeaders)
        {
            var colon = c.Variant.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (c.Variant[..colon], c.Variant[(colon + 1)..].Trim());
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _http.SendAsync(request, ct);
        return new FuzzAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private async Task<FuzzAnswer> TypedAsync(TypedCall t, CancellationToken ct)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = t.Temperature,
            TopP = t.TopP,
            MaxOutputTokenCount = t.MaxTokens,
            FrequencyPenalty = t.FrequencyPenalty,
            PresencePenalty = t.PresencePenalty,
            IncludeLogProbabilities = t.LogProbs,
            TopLogProbabilityCount = t.TopLogProbs,
        };
        for (var i = 0; i < t.Stops; i++)
        {
            options.StopSequences.Add($"stop{i}");
        }

        ChatMessage[] messages = [new UserChatMessage(t.Prompt)];
        try
        {
            if (t.Stream)
            {
                await foreach (var _ in _chat.CompleteChatStreamingAsync(messages, options, ct))
                {
                }
            }
            else
            {
                await _chat.CompleteChatAsync(messages, options, ct);
            }

            return new FuzzAnswer((int)HttpStatusCode.OK, "");
        }
        catch (ClientResultException e) when (e.Status > 0)
        {
            return new FuzzAnswer(e.Status, ApiErrorShape.Body(e));
        }
    }

    private static BinaryContent Content(byte[] body) => BinaryContent.Create(BinaryData.FromBytes(body));

    private static RequestOptions NoThrow(CancellationToken ct) => new() { ErrorOptions = ClientErrorBehaviors.NoThrow, CancellationToken = ct };

    private static FuzzAnswer Answer(ClientResult result)
    {
        var response = result.GetRawResponse();
        return new FuzzAnswer(response.Status, response.Content.ToString());
    }

    /// <summary>A body HttpClient must send chunked, since it announces no length.</summary>
    private sealed class UnknownLength(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
