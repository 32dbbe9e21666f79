using LlmGateway.Errors;
using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>Checks "Authorization: Bearer KEY" against Security:ApiKeys when any are configured.</summary>
public sealed class ApiKeyFilter(IOptions<ApiKeyOptions> options) : IEndpointFilter
{
    private readonly KeyRing _keys = new(options.Value.ApiKeys);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        _keys.IsEmpty ? await next(context) : Refusal(_keys.Accepts(context.HttpContext.Request)) ?? await next(context);

    /// <summary>The 401 for a missing or wrong key; null when the key was right.</summary>
    internal static IResult? Refusal(bool? accepted) => accepted switch
    {
        null => OpenAiError.Unauthorized("Missing API key: send 'Authorization: Bearer YOUR_KEY'."),
        false => OpenAiError.Unauthorized("Incorrect API key provided."),
        true => null,
    };
}
