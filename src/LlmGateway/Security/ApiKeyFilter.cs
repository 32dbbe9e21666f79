using System.Security.Cryptography;
using System.Text;
using LlmGateway.Proxy;
using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>Checks "Authorization: Bearer KEY" against Security:ApiKeys when any are configured.</summary>
public sealed class ApiKeyFilter(IOptions<ApiKeyOptions> options) : IEndpointFilter
{
    private readonly byte[][] _keys = [.. options.Value.ApiKeys.Select(Encoding.UTF8.GetBytes)];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_keys.Length == 0)
        {
            return await next(context);
        }

        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return OpenAiError.Unauthorized("Missing API key: send 'Authorization: Bearer YOUR_KEY'.");
        }

        var given = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        // Fixed-time comparison: the time taken must not tell how much of a key was right.
        return _keys.Any(k => CryptographicOperations.FixedTimeEquals(k, given))
            ? await next(context)
            : OpenAiError.Unauthorized("Incorrect API key provided.");
    }
}
