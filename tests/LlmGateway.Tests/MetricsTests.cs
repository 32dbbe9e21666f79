using System.ClientModel;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>/metrics agrees with what happened: the requests made, the tokens the client was told, the order of times.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_CountTheRequests_AndTheTokensTheClientSaw()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var chat = new ChatClient(await gateway.ModelIdAsync(), new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        var before = await ScrapeAsync(gateway);

        long prompt = 0, completion = 0;
        for (var i = 0; i < 3; i++)
        {
            ChatCompletion answer = await chat.CompleteChatAsync([new UserChatMessage($"Say hello {i}.")], new ChatCompletionOptions { MaxOutputTokenCount = 8 });
            (prompt, completion) = (prompt + answer.Usage.InputTokenCount, completion + answer.Usage.OutputTokenCount);
        }

        for (var i = 0; i < 3; i++)
        {
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage($"Count {i}.")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }))
            {
                if (update.Usage is { } usage)
                {
                    (prompt, completion) = (prompt + usage.InputTokenCount, completion + usage.OutputTokenCount);
                }
            }
        }

        var unknown = new ChatClient("no-such-model", new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        await Assert.ThrowsAsync<ClientResultException>(() => unknown.CompleteChatAsync([new UserChatMessage("Hi.")]));
        var model = await gateway.ModelIdAsync();
        var chatLabels = $"endpoint=\"chat_completions\",model=\"{model}\"";

        // A request is recorded once the gateway has finished it, which can be a moment after the client read the
        // end of a stream: wait until nothing is in flight and all seven are counted.
        var after = await Eventually.UntilAsync(() => ScrapeAsync(gateway),
            m => m.GetValueOrDefault("llmgw_requests_in_flight") == 0 && Counted(m) - Counted(before) >= 7,
            "no request in flight and all seven counted");

        double Delta(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
        Assert.Equal(3, Delta($"llmgw_requests_total{{{chatLabels},outcome=\"ok\",status_class=\"2xx\",stream=\"false\"}}"));
        Assert.Equal(3, Delta($"llmgw_requests_total{{{chatLabels},outcome=\"ok\",status_class=\"2xx\",stream=\"true\"}}"));
        // A name no model answers to is counted under model "none": the label is bounded by the configured models.
        Assert.Equal(1, Delta("llmgw_requests_total{endpoint=\"chat_completions\",model=\"none\",outcome=\"not_found\",status_class=\"4xx\",stream=\"false\"}"));
        Assert.Equal(prompt, Delta($"llmgw_prompt_tokens_total{{{chatLabels}}}"));
        Assert.Equal(completion, Delta($"llmgw_completion_tokens_total{{{chatLabels}}}"));
        Assert.True(completion > 0);

        foreach (var stream in new[] { "true", "false" })
        {
            var ttft = Delta($"llmgw_time_to_first_token_seconds_sum{{{chatLabels},stream=\"{stream}\"}}");
            var total = Delta($"llmgw_request_duration_seconds_sum{{{chatLabels},status_class=\"2xx\",stream=\"{stream}\"}}");
            Assert.Equal(3, Delta($"llmgw_time_to_first_token_seconds_count{{{chatLabels},stream=\"{stream}\"}}"));
            Assert.True(ttft > 0 && ttft <= total, $"stream={stream}: time to first token {ttft} s against duration {total} s");
        }

        Assert.Equal(6, Delta($"llmgw_decode_duration_seconds_count{{{chatLabels}}}"));
        Assert.Equal(0, after["llmgw_requests_in_flight"]);
        Assert.Equal(1, after[$"llmgw_child_up{{model=\"{model}\"}}"]);
        Assert.Equal(1, after[$"llmgw_model_state{{model=\"{model}\",state=\"ready\"}}"]);
        Assert.True(after["llmgw_child_memory_rss_bytes"] > 10_000_000);
        Assert.True(after["llmgw_child_cpu_window_ratio{stat=\"max\",window=\"1m\"}"] > 0, "no CPU was seen while generating");
        Assert.Equal(1, after["llmgw_cpu_budget_ratio"]); // the tests' Fast profile
    }

    [Fact]
    public async Task LlamaServersOwnMetrics_AreInTheSameScrape()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var model = await gateway.ModelIdAsync();
        var chat = new ChatClient(model, new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        ChatCompletion answer = await chat.CompleteChatAsync([new UserChatMessage("Hi.")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });

        // llama-server is polled every few seconds: wait for a poll after the answer. Each series carries its model.
        var predicted = $"llamacpp_tokens_predicted_total{{model=\"{model}\"}}";
        var metrics = await Eventually.UntilAsync(() => ScrapeAsync(gateway),
            m => m.GetValueOrDefault(predicted) >= answer.Usage.OutputTokenCount, "a poll of llama-server's metrics that counts the answer");

        Assert.Equal(answer.Usage.OutputTokenCount, metrics.GetValueOrDefault(predicted));
        Assert.Contains($"llamacpp_requests_processing{{model=\"{model}\"}}", metrics.Keys);
    }

    private static double Counted(Dictionary<string, double> metrics) =>
        metrics.Where(m => m.Key.StartsWith("llmgw_requests_total{", StringComparison.Ordinal)).Sum(m => m.Value);

    /// <summary>Every sample of /metrics by its series (name and labels, without the exporter's otel_scope_name), summed over nothing.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(GatewayProcess gateway)
    {
        var text = await gateway.Http.GetStringAsync("/metrics");
        Dictionary<string, double> series = [];
        foreach (Match m in Sample().Matches(text))
        {
            var labels = string.Join(',', m.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith("otel_scope_name=", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            series[labels.Length == 0 ? m.Groups["name"].Value : $"{m.Groups["name"].Value}{{{labels}}}"] =
                double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return series;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
