using System.Net;
using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>Refuses to start on a non-loopback address with no API key, unless explicitly allowed.</summary>
public sealed class ListenAddressValidator(IConfiguration configuration) : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return ValidateOptionsResult.Fail("Security:ApiKeys must not contain empty keys.");
        }

        if (options.ApiKeys.Length > 0 || options.AllowRemoteWithoutKey)
        {
            return ValidateOptionsResult.Success;
        }

        // Kestrel listens on "urls" and on any Kestrel:Endpoints:NAME:Url; every one must be loopback.
        var urls = (configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        return exposed.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"The gateway would listen on {string.Join(", ", exposed)} with no API key. Set Security:ApiKeys, " +
                "listen on 127.0.0.1, or set Security:AllowRemoteWithoutKey=true to accept it.");
    }

    private static bool IsLoopback(string url)
    {
        var host = url.Split("://", 2) is [_, var rest] ? rest : url;
        host = host.StartsWith('[') ? host[1..host.IndexOf(']')] : host.Split(':')[0];
        return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
