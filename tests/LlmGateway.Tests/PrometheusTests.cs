using System.ClientModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>
/// deploy/prometheus and deploy/grafana against a real Prometheus scraping a real gateway: every query of the
/// dashboard and the rules finds its series, the files pass promtool, the alerts fire where the targets say,
/// and every metric they name is documented in docs/metrics.md.
/// </summary>
public sealed partial class PrometheusTests
{
    private const int RequestsPerKind = 4;

    // Grafana's own variables: ranges that hold several of the test's 1 s scrapes.
    private static readonly Dictionary<string, string> GrafanaVariables = new()
    {
        ["__rate_interval"] = "30s",
        ["__interval"] = "5s",
        ["__range"] = "5m",
    };

    private static readonly string Root = RepositoryRoot();
    private static readonly string PrometheusDirectory = Path.Combine(Root, "deploy", "prometheus");
    private static readonly string RulesFile = Path.Combine(PrometheusDirectory, "rules", "llmgateway.yml");
    private static readonly string DashboardFile = Path.Combine(Root, "deploy", "grafana", "dashboards", "llmgateway.json");
    private static readonly string[] RuleGroups = ["llmgateway.targets", "llmgateway.recording", "llmgateway.alerts"];

    [Fact]
    public async Task EveryDashboardAndRuleQuery_FindsSeries_InARealScrapeOfTheGateway()
    {
        var settings = GatewayProcess.DefaultSettings();
        // A cap this machine hardly feels, so that llmgw_cpu_cap_ratio and the throttling counters exist: they are absent
        // without a cap, and the throttling counters without a kernel (cgroup) one, which this machine's cgroup v1 gives.
        settings["Cpu__CapPercent"] = "95";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        await using var prometheus = await PrometheusFixture.StartAsync(gateway.BaseUri, RulesFile);
        var chat = new ChatClient(await gateway.ModelIdAsync(), new ApiKeyCredential("unused"), ApiGateways.Options(gateway));

        for (var i = 0; i < RequestsPerKind; i++)
        {
            // Several tokens each, so that time per output token is recorded too.
            await chat.CompleteChatAsync([new UserChatMessage($"Say hello {i}.")], ApiGateways.ExactLength(8));
            await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage($"Count to {i}.")], ApiGateways.ExactLength(8)))
            {
            }
        }

        await WaitForScrapeAsync(prometheus, $"sum(llmgw_requests_total) >= {2 * RequestsPerKind}", Eventually.Ceiling);
        var rules = await LoadedRulesAsync(prometheus, Eventually.Ceiling);

        // Alert expressions are queried with `bool` after each comparison: the answer is then every series the alert
        // looks at, 0 or 1, and a non-empty one proves each input exists without the gateway having to be unhealthy.
        // A plain alert expression is rightly empty here; the rules file is written to keep this rewrite valid.
        var queries = DashboardQueries()
            .Concat(rules.Select(r => r.Type == "alerting" ? WithBoolComparisons(r.Query) : r.Query))
            .Distinct()
            .ToList();
        var failures = await EmptyOrRefusedAsync(prometheus, queries, Eventually.Ceiling);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {queries.Count} queries found nothing or were refused:\n{string.Join('\n', failures)}\n\ngateway /metrics:\n{await SeriesAsync(gateway)}");

        var targets = await prometheus.GetDataAsync("/api/v1/targets");
        var target = Assert.Single(targets.GetProperty("activeTargets").EnumerateArray());
        Assert.Equal((PrometheusFixture.Job, "up"), (target.GetProperty("labels").GetProperty("job").GetString(), target.GetProperty("health").GetString()));
    }

    [Fact]
    public async Task PrometheusConfig_AndRules_PassPromtoolCheck()
    {
        var copy = Directory.CreateTempSubdirectory("llmgw-promtool-").FullName;
        try
        {
            // A copy, with its rules beside it as in the repository, so that rule_files: [rules/*.yml] resolves there too.
            File.Copy(Path.Combine(PrometheusDirectory, "prometheus.yml"), Path.Combine(copy, "prometheus.yml"));
            Directory.CreateDirectory(Path.Combine(copy, "rules"));
            foreach (var rules in Directory.GetFiles(Path.Combine(PrometheusDirectory, "rules"), "*.yml"))
            {
                File.Copy(rules, Path.Combine(copy, "rules", Path.GetFileName(rules)));
            }

            var config = await PromtoolAsync("check", "config", Path.Combine(copy, "prometheus.yml"));
            Assert.True(config.ExitCode == 0, config.Output);
            // A glob that matches nothing passes the check, so it must be seen to have found the rules.
            Assert.Contains("Checking " + Path.Combine(copy, "rules", "llmgateway.yml"), config.Output, StringComparison.Ordinal);

            var rulesCheck = await PromtoolAsync("check", "rules", RulesFile);
            Assert.True(rulesCheck.ExitCode == 0, rulesCheck.Output);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Alerts_FireBeyondTheInvisibleTargets_AndNotAtThem()
    {
        var tests = Path.Combine(Directory.CreateTempSubdirectory("llmgw-promtool-").FullName, "llmgateway.test.yml");
        try
        {
            await File.WriteAllTextAsync(tests, RuleUnitTests(RulesFile));
            var run = await PromtoolAsync("test", "rules", tests);
            Assert.True(run.ExitCode == 0, run.Output);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(tests)!, recursive: true);
        }
    }

    [Fact]
    public void EveryMetricTheDashboardAndRulesName_IsDocumentedInMetricsMd()
    {
        var documented = MetricName().Matches(File.ReadAllText(Path.Combine(Root, "docs", "metrics.md"))).Select(m => m.Value).ToHashSet();
        var used = MetricName().Matches(File.ReadAllText(DashboardFile) + File.ReadAllText(RulesFile)).Select(m => m.Value).ToHashSet();

        var missing = used.Where(name => !documented.Contains(name) && !documented.Contains(HistogramSuffix().Replace(name, ""))).Order().ToList();
        Assert.True(missing.Count == 0, $"Not in docs/metrics.md: {string.Join(", ", missing)}");
        Assert.True(used.Count > 30, $"only {used.Count} metric names found: the pattern no longer matches the files");
    }

    /// <summary>The dashboard's queries: every <c>targets[].expr</c>, and the metric of each <c>label_values</c> variable, with variables filled in.</summary>
    private static List<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var variables = new Dictionary<string, string>(GrafanaVariables);
        List<string> queries = [];
        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            variables[variable.GetProperty("name").GetString()!] = variable.TryGetProperty("allValue", out var all) ? all.GetString()! : ".*";
            if (LabelValues().Match(variable.GetProperty("definition").GetString()!) is { Success: true } m)
            {
                queries.Add(m.Groups["metric"].Value);
            }
        }

        Collect(dashboard.RootElement, queries);
        Assert.True(queries.Count > 20, $"only {queries.Count} queries found in {DashboardFile}");
        return [.. queries.Select(q => Variable().Replace(q, v => variables.TryGetValue(v.Groups["name"].Value, out var value) ? value : v.Value))
            .Select(q => q.Contains('$', StringComparison.Ordinal) ? throw new InvalidOperationException($"an unknown Grafana variable in {q}") : q)];

        static void Collect(JsonElement element, List<string> queries)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                if (element.TryGetProperty("targets", out var targets))
                {
                    queries.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
                }

                foreach (var property in element.EnumerateObject().Where(p => p.Name != "targets"))
                {
                    Collect(property.Value, queries);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, queries);
                }
            }
        }
    }

    /// <summary>Waits until Prometheus has loaded the rules file's groups and evaluated every rule without error; returns the rules.</summary>
    /// <remarks>The expressions come from Prometheus, as it parsed the file: no YAML reader is needed, and what is tested is what runs.</remarks>
    private static async Task<List<(string Type, string Name, string Query)>> LoadedRulesAsync(PrometheusFixture prometheus, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var groups = (await prometheus.GetDataAsync("/api/v1/rules")).GetProperty("groups").EnumerateArray().ToList();
            var rules = groups.SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            var unhealthy = rules.Where(r => r.GetProperty("health").GetString() != "ok").ToList();
            if ((unhealthy.Count == 0 && rules.Count > 0) || clock.Elapsed > timeout)
            {
                Assert.Equal(RuleGroups.Order(), groups.Select(g => g.GetProperty("name").GetString()!).Order());
                Assert.All(groups, g => Assert.Equal(RulesFile, g.GetProperty("file").GetString()));
                Assert.True(unhealthy.Count == 0, $"rules not evaluated cleanly:\n{string.Join('\n', unhealthy)}\n{prometheus.Output}");
                return [.. rules.Select(r => (r.GetProperty("type").GetString()!, r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!))];
            }

            await Task.Delay(250);
        }
    }

    private static async Task WaitForScrapeAsync(PrometheusFixture prometheus, string condition, TimeSpan ceiling)
    {
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                var (result, error) = await prometheus.QueryAsync(condition);
                Assert.Null(error);
                return result.GetArrayLength();
            }, series => series > 0, $"Prometheus to see {condition}", ceiling);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{prometheus.Output}", e);
        }
    }

    /// <summary>
    /// Queries each expression until it finds a series, within <paramref name="timeout"/> for all together: rates need two
    /// scrapes and recorded series one evaluation. Returns those still empty and those refused (which are not retried).
    /// </summary>
    private static async Task<List<string>> EmptyOrRefusedAsync(PrometheusFixture prometheus, List<string> queries, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var pending = new List<string>(queries);
        List<string> refused = [];
        while (true)
        {
            foreach (var query in pending.ToList())
            {
                var (result, error) = await prometheus.QueryAsync(query);
                if (error is not null)
                {
                    refused.Add($"refused ({error}): {query}");
                    pending.Remove(query);
                }
                else if (result.GetArrayLength() > 0)
                {
                    pending.Remove(query);
                }
            }

            if (pending.Count == 0 || clock.Elapsed > timeout)
            {
                return [.. refused, .. pending.Select(q => $"empty: {q}")];
            }

            await Task.Delay(500);
        }
    }

    /// <summary>Puts <c>bool</c> after each comparison operator outside label matchers and strings.</summary>
    internal static string WithBoolComparisons(string promql)
    {
        var result = new StringBuilder(promql.Length + 32);
        var braces = 0;
        char? quote = null;
        for (var i = 0; i < promql.Length; i++)
        {
            var c = promql[i];
            if (quote is not null)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < promql.Length)
                {
                    result.Append(promql[++i]);
                }
                else if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            var two = i + 1 < promql.Length ? promql.Substring(i, 2) : "";
            var op = braces > 0 ? null : two is "==" or "!=" or ">=" or "<=" ? two : c is '>' or '<' ? c.ToString() : null;
            if (op is null)
            {
                quote = c is '"' or '\'' or '`' ? c : null;
                braces += c == '{' ? 1 : c == '}' ? -1 : 0;
                result.Append(c);
                continue;
            }

            result.Append(op);
            i += op.Length - 1;
            if (!promql.AsSpan(i + 1).TrimStart().StartsWith("bool", StringComparison.Ordinal))
            {
                result.Append(" bool");
            }
        }

        return result.ToString();
    }

    /// <summary>The gateway's /metrics without comments and histogram buckets: what a reader of a failure needs.</summary>
    private static async Task<string> SeriesAsync(GatewayProcess gateway) =>
        string.Join('\n', (await gateway.Http.GetStringAsync("/metrics")).Split('\n').Where(l => !l.StartsWith('#') && !l.Contains("_bucket{", StringComparison.Ordinal)));

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Eventually.Ceiling);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"promtool {string.Join(' ', arguments)}\n{await stdout}{await stderr}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No LlmGateway.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// promtool unit tests of the alerts, one scenario per group: idle and unhealthy (all but the tail ratio fire),
    /// busy and slow (the tail ratio fires, but not over too few requests), and every value exactly at its target (none fire).
    /// </summary>
    private static string RuleUnitTests(string rulesFile) => $$"""
        rule_files: [{{JsonSerializer.Serialize(rulesFile)}}]
        evaluation_interval: 1m
        tests:
          - name: idle and unhealthy
            interval: 1m
            input_series:
              - {series: 'llmgw_child_up{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="a",window="1m",stat="mean"}', values: '0.05x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="a",window="5m",stat="p99"}', values: '0.6x15'}
              - {series: 'llmgw_cpu_budget_ratio{job="llmgateway",instance="a"}', values: '0.35x15'}
              - {series: 'llmgw_request_duration_window_seconds{job="llmgateway",instance="a",window="5m",stat="p95"}', values: '3x15'}
              - {series: 'llmgw_latency_p99_p50_ratio{job="llmgateway",instance="a",window="5m"}', values: '2.5x15'}
              - {series: 'llmgw_child_memory_rss_bytes{job="llmgateway",instance="a"}', values: '7e9x15'}
              - {series: 'llmgw_child_restarts_total{job="llmgateway",instance="a"}', values: '0 0 0 0 0 1x10'}
              - {series: 'llmgw_child_crash_loop{job="llmgateway",instance="a"}', values: '0 0 0 0 0 1x10'}
              - {series: 'up{job="llmgateway",instance="a"}', values: '1 1 1 0x12'}
            promql_expr_test:
              - expr: count by (alertname) (ALERTS{alertstate="firing"})
                eval_time: 10m
                exp_samples:
                  - {labels: '{alertname="LlmGatewayIdleCpuHigh"}', value: 1}
                  - {labels: '{alertname="LlmGatewayCpuP99AboveBudget"}', value: 1}
                  - {labels: '{alertname="LlmGatewayLatencyP95High"}', value: 1}
                  - {labels: '{alertname="LlmGatewayMemoryHigh"}', value: 1}
                  - {labels: '{alertname="LlmGatewayChildRestarting"}', value: 1}
                  - {labels: '{alertname="LlmGatewayCrashLoop"}', value: 1}
                  - {labels: '{alertname="LlmGatewayDown"}', value: 1}
          - name: busy and slow
            interval: 1m
            input_series:
              # a: 10 requests a minute, b: 1, both with a tail twice the median or more, and CPU that is not idle CPU.
              - {series: 'llmgw_child_up{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_requests_total{job="llmgateway",instance="a",outcome="ok"}', values: '0+10x15'}
              - {series: 'llmgw_requests_in_flight{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="a",window="1m",stat="mean"}', values: '0.3x15'}
              - {series: 'llmgw_latency_p99_p50_ratio{job="llmgateway",instance="a",window="5m"}', values: '2.5x15'}
              - {series: 'llmgw_child_up{job="llmgateway",instance="b"}', values: '1x15'}
              - {series: 'llmgw_requests_total{job="llmgateway",instance="b",outcome="ok"}', values: '0+1x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="b",window="1m",stat="mean"}', values: '0.3x15'}
              - {series: 'llmgw_latency_p99_p50_ratio{job="llmgateway",instance="b",window="5m"}', values: '3x15'}
            promql_expr_test:
              - expr: count by (alertname, instance) (ALERTS{alertstate="firing"})
                eval_time: 10m
                exp_samples:
                  - {labels: '{alertname="LlmGatewayLatencyTailRatio",instance="a"}', value: 1}
          - name: every value at its target
            interval: 1m
            input_series:
              # a is busy at every latency and CPU target; b is idle at the idle target.
              - {series: 'up{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_child_up{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_requests_total{job="llmgateway",instance="a",outcome="ok"}', values: '0+10x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="a",window="5m",stat="p99"}', values: '0.35x15'}
              - {series: 'llmgw_cpu_budget_ratio{job="llmgateway",instance="a"}', values: '0.35x15'}
              - {series: 'llmgw_request_duration_window_seconds{job="llmgateway",instance="a",window="5m",stat="p95"}', values: '2.5x15'}
              - {series: 'llmgw_latency_p99_p50_ratio{job="llmgateway",instance="a",window="5m"}', values: '1.99x15'}
              - {series: 'llmgw_child_memory_rss_bytes{job="llmgateway",instance="a"}', values: '6442450944x15'}
              - {series: 'llmgw_child_restarts_total{job="llmgateway",instance="a"}', values: '1x15'}
              - {series: 'llmgw_child_crash_loop{job="llmgateway",instance="a"}', values: '0x15'}
              - {series: 'up{job="llmgateway",instance="b"}', values: '1x15'}
              - {series: 'llmgw_child_up{job="llmgateway",instance="b"}', values: '1x15'}
              - {series: 'llmgw_child_cpu_window_ratio{job="llmgateway",instance="b",window="1m",stat="mean"}', values: '0.02x15'}
            promql_expr_test:
              - expr: count by (alertname, instance) (ALERTS)
                eval_time: 10m
                exp_samples: []
        """;

    [GeneratedRegex(@"(?<![A-Za-z0-9_:])(llmgw[_:][a-z0-9_:]*[a-z0-9_]|llamacpp_[a-z0-9_]*[a-z0-9])")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    [GeneratedRegex(@"^label_values\((?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex Variable();
}
