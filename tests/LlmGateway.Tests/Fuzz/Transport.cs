namespace LlmGateway.Tests.Fuzz;

/// <summary>How a fuzzed body travels: the clients and the HTTP framings a gateway meets.</summary>
internal enum Transport
{
    /// <summary>HttpClient, Content-Type: application/json, Content-Length.</summary>
    Http,

    /// <summary>The official OpenAI SDK's protocol method (any body), retries off.</summary>
    Sdk,

    /// <summary>Transfer-Encoding: chunked, no Content-Length.</summary>
    Chunked,

    /// <summary>A Content-Type other than JSON, or none.</summary>
    OddContentType,

    /// <summary>Headers a client might add: Content-Encoding it did not apply, Expect: 100-continue, a long header.</summary>
    OddHeaders,

    /// <summary>Raw socket: a Content-Length shorter than the body.</summary>
    ShortContentLength,

    /// <summary>Raw socket: a Content-Length longer than the (at most 1 KiB) sent, then the client waits: Kestrel's minimum data rate ends it, 408.</summary>
    LongContentLength,

    /// <summary>Raw socket: framing HTTP itself forbids (bad or duplicate Content-Length, broken chunks); Kestrel answers.</summary>
    BadFraming,
}
