using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests;

namespace LlmGateway.ModelTool.Tests;

/// <summary>The tiny synthetic model, as the test set-up writes it, served by the pinned llama-server.</summary>
public sealed class LlamaServerTests : IAsyncLifetime
{
    private Process? _server;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort.Loopback();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Eventually.Ceiling };
        var start = new ProcessStartInfo(TestEnvironment.LlamaServer)
        {
            ArgumentList = { "--model", TestEnvironment.TinyModel, "--host", "127.0.0.1", "--port", $"{port}", "--ctx-size", "1024", "--threads", "1", "--no-webui" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _server = Process.Start(start)!;
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();

        await Eventually.UntilAsync(HealthAsync, status => status == HttpStatusCode.OK, "llama-server's /health to answer 200");
    }

    private async Task<HttpStatusCode?> HealthAsync()
    {
        Assert.False(_server!.HasExited, $"llama-server exited with {(_server.HasExited ? _server.ExitCode : 0)} while loading the model");
        try
        {
            using var response = await _http.GetAsync("/health");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    public Task DisposeAsync()
    {
        _server?.Kill(entireProcessTree: true);
        _server?.WaitForExit();
        _server?.Dispose();
        _http.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TinyModel_AnswersAChatCompletion()
    {
        var response = await _http.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Say hello." } },
            max_tokens = 8,
            temperature = 0,
        });

        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = body.RootElement.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.True(body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() is > 0 and <= 8);
    }

    [Fact]
    public async Task TinyModel_FormatsMessagesWithTheQwenChatTemplate()
    {
        var response = await _http.PostAsJsonAsync("/apply-template", new
        {
            messages = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "Hi" } },
        });

        response.EnsureSuccessStatusCode();
        var prompt = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("prompt").GetString();
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
    }
}
