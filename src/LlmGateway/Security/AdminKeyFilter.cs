using Microsoft.Extensions.Options;

namespace LlmGateway.Security;

/// <summary>/admin wants an API key when Security:ProtectAdmin says so (by default, whenever API keys are set).</summary>
/// <remarks>It shows what clients are asking (slots hold prompts) and changes the CPU cap: at least as private as /v1.</remarks>
public sealed class AdminKeyFilter(IOptions<ApiKeyOptions> options) : IEndpointFilter
{
    private readonly KeyRing? _keys = options.Value.AdminNeedsKey ? new(options.Value.ApiKeys) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        _keys is null ? await next(context) : ApiKeyFilter.Refusal(_keys.Accepts(context.HttpContext.Request)) ?? await next(context);
}
