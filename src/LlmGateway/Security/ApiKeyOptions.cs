namespace LlmGateway.Security;

/// <summary>Section "Security": who may call the API, the operator views and the metrics.</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Security";

    /// <summary>Accepted Bearer keys. Empty: no key needed, allowed only on loopback unless <see cref="AllowRemoteWithoutKey"/>.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Listen beyond loopback with no key. Off by default: anyone on the network could use the model.</summary>
    public bool AllowRemoteWithoutKey { get; set; }

    /// <summary>/admin wants an API key. Unset: yes when <see cref="ApiKeys"/> has any (there is nothing to ask for otherwise).</summary>
    public bool? ProtectAdmin { get; set; }

    /// <summary>/metrics wants a key: one of <see cref="ApiKeys"/> or <see cref="MetricsKeys"/>. Off by default, so Prometheus can scrape while /v1 needs a key.</summary>
    public bool MetricsRequireKey { get; set; }

    /// <summary>Keys that open /metrics only (a scraper's credential that cannot use the model). Setting any implies <see cref="MetricsRequireKey"/>.</summary>
    public string[] MetricsKeys { get; set; } = [];

    internal bool AdminNeedsKey => ProtectAdmin ?? ApiKeys.Length > 0;

    internal bool MetricsNeedKey => MetricsRequireKey || MetricsKeys.Length > 0;
}
