using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>
/// A real Prometheus (the Debian package's) scraping one gateway every second, with a rules file loaded,
/// on a free loopback port and a storage directory of its own.
/// </summary>
/// <remarks>Started per test, not as a class fixture: the promtool tests beside it need no gateway.</remarks>
public sealed class PrometheusFixture : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";

    /// <summary>The job name of deploy/prometheus/prometheus.yml, which the rules' <c>up{job="llmgateway"}</c> expects.</summary>
    public const string Job = "llmgateway";

    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();
    private int _disposed;

    private PrometheusFixture(Process process, string directory, Uri baseUri)
    {
        _process = process;
        _directory = directory;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public string Output => string.Join('\n', _output);

    /// <summary>Starts Prometheus scraping <paramref name="target"/>'s /metrics with <paramref name="rulesFile"/> loaded, and waits until it is ready.</summary>
    public static async Task<PrometheusFixture> StartAsync(Uri target, string rulesFile)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the Debian package with `apt-get install prometheus` (scripts/test.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("llmgw-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        // JSON strings are YAML strings: the paths are quoted whatever they hold.
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - {JsonSerializer.Serialize(rulesFile)}
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: [{JsonSerializer.Serialize(target.Authority)}]
            """);

        // The port is free when asked; Prometheus takes it a moment later. Nothing else on this machine races for it in practice.
        var port = FreePort.Loopback();
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=info",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var prometheus = new PrometheusFixture(process, directory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => prometheus.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => prometheus.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await prometheus.WaitUntilReadyAsync();
        }
        catch
        {
            await prometheus.DisposeAsync();
            throw;
        }

        return prometheus;
    }

    /// <summary>An instant query at now: its <c>data.result</c>, or the reason Prometheus refused it (syntax, types, matching).</summary>
    public async Task<(JsonElement Result, string? Error)> QueryAsync(string promql, CancellationToken cancellationToken = default)
    {
        using var response = await Http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}", cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return body.GetProperty("status").GetString() == "success"
            ? (body.GetProperty("data").GetProperty("result"), null)
            : (default, body.TryGetProperty("error", out var error) ? error.GetString() : body.ToString());
    }

    /// <summary>The <c>data</c> of a GET on one of the API's other endpoints, such as /api/v1/rules or /api/v1/targets.</summary>
    public async Task<JsonElement> GetDataAsync(string path, CancellationToken cancellationToken = default)
    {
        var body = await Http.GetFromJsonAsync<JsonElement>(path, cancellationToken);
        return body.GetProperty("data");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            // SIGTERM lets Prometheus close its TSDB; the temporary directory is removed either way.
            Posix.Kill(_process.Id, Posix.SigTerm);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover in /tmp is not worth failing a test for.
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        try
        {
            await Eventually.UntilAsync(ReadyStatusAsync, status => status == HttpStatusCode.OK, "Prometheus's /-/ready to answer 200");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Output}", e);
        }
    }

    private async Task<HttpStatusCode?> ReadyStatusAsync()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"Prometheus exited with {_process.ExitCode}:\n{Output}");
        }

        try
        {
            using var response = await Http.GetAsync("/-/ready");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}

