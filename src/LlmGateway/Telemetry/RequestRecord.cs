namespace LlmGateway.Telemetry;

/// <summary>What one /v1 request did, filled in along its way and recorded once when it ends.</summary>
/// <remarks>Carried as an HttpContext feature, so the forwarder can mark the first token without knowing about metrics.</remarks>
public sealed class RequestRecord(string endpoint, long started)
{
    public string Endpoint => endpoint;

    /// <summary>TimeProvider timestamp of the request's arrival.</summary>
    public long Started => started;

    public bool Stream { get; set; }

    /// <summary>The configured model the request was routed to (its id, never the client's text); null before routing or when none matched.</summary>
    public string? Model { get; set; }

    /// <summary>Timestamp of the first content written to the client: the first token of a stream, the whole answer otherwise.</summary>
    public long? FirstContent { get; set; }

    public TimeSpan? QueueWait { get; set; }

    /// <summary>Tokens and timings llama-server reported in its answer.</summary>
    public ResponseUsage? Usage { get; set; }

    /// <summary>The answer had started and broke off (llama-server failed mid-stream).</summary>
    public bool Broken { get; set; }
}
