using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace LlmGateway.Cli.Tune;

/// <summary>
/// One real gateway (dotnet LlmGateway.dll) started with a candidate's settings in its environment, on a loopback port
/// of its own; stopped with SIGTERM as a service manager would, so it stops llama-server itself.
/// </summary>
public sealed partial class GatewayInstance : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private GatewayInstance(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The gateway's last lines of output, for saying why it did not start.</summary>
    public string Tail => string.Join('\n', _output.TakeLast(15));

    /// <summary>Starts the gateway at <paramref name="gatewayDll"/> with the inherited environment and <paramref name="settings"/> over it.</summary>
    public static GatewayInstance Start(string gatewayDll, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(gatewayDll);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Cpu__", StringComparison.Ordinal)).ToList())
        {
            // The candidate says everything about the CPU; a Cpu__ variable of the user's shell would mix into it.
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = url.ToString();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var instance = new GatewayInstance(process, url);
        process.OutputDataReceived += (_, e) => instance.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => instance.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return instance;
    }

    /// <summary>Waits until /ready answers 200; throws with the gateway's output if it exits or <paramref name="ceiling"/> passes.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan ceiling, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the gateway exited with {_process.ExitCode}:\n{Tail}");
            }

            try
            {
                using var response = await http.GetAsync("ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                // "failed": the supervisor gave up (a backend that cannot work here, llama-server refusing a setting
                // MaxCrashes times); waiting out the ceiling would only cost a bad combination minutes.
                if (await FailedReasonAsync(response, cancellationToken) is { } reason)
                {
                    throw new InvalidOperationException($"llama-server failed: {reason}\n{Tail}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (clock.Elapsed > ceiling)
            {
                throw new TimeoutException($"the gateway was not ready after {ceiling.TotalSeconds:0} s:\n{Tail}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>/ready's reason when its status is "failed", else null (starting, restarting, or not JSON).</summary>
    private static async Task<string?> FailedReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return body.RootElement.TryGetProperty("status", out var status) && status.GetString() == "failed"
                ? (body.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() : null) ?? "no reason given"
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }

    /// <summary>A port nobody listens on now; the gateway binds it a moment later (a race only another process on this machine could lose for us).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
