using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace LlmGateway.Proxy.Validation;

/// <summary>Writes each checked endpoint's request body into the OpenAPI document, from the same shapes that check it.</summary>
public sealed class RequestBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<OpenAiOperation>().Cast<OpenAiOperation?>().FirstOrDefault() is not { } checkedOperation)
        {
            return;
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType { Schema = RequestShapes.For(checkedOperation).ToSchema() } },
        };
    }
}
