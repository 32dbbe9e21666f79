namespace LlmGateway.Supervision;

/// <summary>One start of llama-server: where it listens and the key it requires.</summary>
public sealed record LlamaServerEndpoint(string SocketPath, string ApiKey, int Generation)
{
    public string ApiKeyFile => Path.Combine(Path.GetDirectoryName(SocketPath)!, "api-key");

    public Uri BaseUri { get; } = new($"http://llama-server-{Generation}/");
}
