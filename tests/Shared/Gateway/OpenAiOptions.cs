using System.ClientModel.Primitives;
using OpenAI;

namespace LlmGateway.Tests;

/// <summary>OpenAI SDK options for a gateway under test: the gateway's /v1, and no retries.</summary>
/// <remarks>
/// The SDK retries 429, 5xx and broken connections by itself (three times by default), which would hide exactly the answers
/// the tests look for, or turn a refusal into a slow success. Every SDK client in the tests is made with these options.
/// </remarks>
public static class OpenAiOptions
{
    public static OpenAIClientOptions NoRetries(GatewayProcess gateway, HttpClient? transport = null)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUri, "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The shared ceiling: on a loaded host a long answer is slow, not hung.
            NetworkTimeout = Eventually.Ceiling,
        };
        if (transport is not null)
        {
            options.Transport = new HttpClientPipelineTransport(transport);
        }

        return options;
    }
}
