namespace LlmGateway.Security;

/// <summary>Section "Security": who may call the API.</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Security";

    /// <summary>Accepted Bearer keys. Empty: no key needed, allowed only on loopback unless <see cref="AllowRemoteWithoutKey"/>.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Listen beyond loopback with no key. Off by default: anyone on the network could use the model.</summary>
    public bool AllowRemoteWithoutKey { get; set; }
}
