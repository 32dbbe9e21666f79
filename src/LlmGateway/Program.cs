using LlmGateway;
using LlmGateway.Gguf;
using LlmGateway.Health;
using LlmGateway.Model;
using LlmGateway.Proxy;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayServices();
var app = builder.Build();

app.UseSwagger();
app.UseSwaggerUI();
app.MapHealth();
app.MapOpenAi();
app.MapAdmin();

try
{
    var model = app.Services.GetRequiredService<ServedModel>();
    if (model.IsSynthetic)
    {
        app.Logger.LogWarning("Serving {Model}: a SYNTHETIC model with random weights. Its answers are gibberish; set Model:Path to a real GGUF file.", model.Id);
    }

    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or GgufFormatException or InvalidOperationException)
{
    // A bad setting or model is the user's to fix: say which, without a stack trace.
    var message = e is OptionsValidationException v ? string.Join(Environment.NewLine, v.Failures) : e.Message;
    Console.Error.WriteLine($"llmgateway: cannot start: {message}");
    return 2;
}
