using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests;

/// <summary>The real gateway, started as its own process on a free loopback port, serving the tiny model.</summary>
/// <remarks>A separate process, not an in-memory host: the tests kill it, read its exit code and watch its children.</remarks>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GatewayProcess(Process process)
    {
        _process = process;
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    private int _disposed;

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _output);

    /// <summary>The default settings: the tiny model, the pinned llama-server and the launcher, on a free port.</summary>
    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["Model__Path"] = TestEnvironment.TinyModel,
        ["LlamaServer__ExecutablePath"] = TestEnvironment.LlamaServer,
        ["LlamaServer__LauncherPath"] = TestEnvironment.Launcher,
        ["LlamaServer__ContextSize"] = "2048",
        // The whole machine: tests share it with each other, and a capped, idle-priority child would make them slow and flaky.
        // CpuGovernanceTests choose their own budgets.
        ["Cpu__Profile"] = "Fast",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["Logging__LogLevel__Default"] = "Information",
    };

    /// <summary>Starts the gateway and waits until it listens (and, with <paramref name="waitReady"/>, until /ready is 200).</summary>
    public static async Task<GatewayProcess> StartAsync(IDictionary<string, string?>? settings = null, bool waitReady = true, params string[] args)
    {
        var process = Launch(settings, args);
        var gateway = new GatewayProcess(process);
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var listening = await Task.WhenAny(gateway._listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (listening != gateway._listening.Task)
        {
            await gateway.DisposeAsync();
            throw new InvalidOperationException($"The gateway did not start listening:\n{gateway.Output}");
        }

        gateway.BaseUri = await gateway._listening.Task;
        gateway.Http.BaseAddress = gateway.BaseUri;
        if (waitReady)
        {
            await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        }

        return gateway;
    }

    /// <summary>Runs the gateway expecting it to refuse to start; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunExpectingFailureAsync(IDictionary<string, string?> settings, params string[] args)
    {
        using var process = Launch(settings, args);
        process.StartInfo.RedirectStandardOutput = true;
        process.StartInfo.RedirectStandardError = true;
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The gateway kept running with a bad configuration:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public async Task<JsonElement> ReadyStateAsync()
    {
        using var response = await Http.GetAsync("/ready");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with {_process.ExitCode}:\n{Output}");
            }

            using var response = await Http.GetAsync("/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The gateway was not ready within {timeout}:\n{Output}");
    }

    /// <summary>Polls /ready until its body satisfies <paramref name="done"/>; past the shared ceiling, fails naming what was awaited, with the gateway's output.</summary>
    public async Task<JsonElement> WaitForStateAsync(Func<JsonElement, bool> done, string awaited)
    {
        try
        {
            return await Eventually.UntilAsync(ReadyStateAsync, done, awaited);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Output}", e);
        }
    }

    /// <summary>The PID of the llama-server child, as /ready reports it.</summary>
    public async Task<int> ChildPidAsync() => (await ReadyStateAsync()).GetProperty("pid").GetInt32();

    public void KillHard() => _process.Kill(entireProcessTree: false);

    /// <summary>The gateway's exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the gateway to exit on its own; false if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The id of the served model: the first one GET /v1/models lists.</summary>
    public async Task<string> ModelIdAsync()
    {
        var models = await Http.GetFromJsonAsync<JsonElement>("/v1/models");
        return models.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    /// <summary>How many of llama-server's slots are processing a request now, as GET /admin/slots reports.</summary>
    public async Task<int> BusySlotsAsync()
    {
        var slots = await Http.GetFromJsonAsync<JsonElement>("/admin/slots");
        return slots.EnumerateArray().Count(s => s.GetProperty("is_processing").GetBoolean());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // tests that stop the gateway themselves are disposed again at the end of their scope
        }

        if (!_process.HasExited)
        {
            // SIGTERM first, as a service manager would, so the gateway stops its child itself.
            Posix.Kill(_process.Id, Posix.SigTerm);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Http.Dispose();
    }

    private static Process Launch(IDictionary<string, string?>? settings, string[] args)
    {
        var gatewayDll = typeof(LlmGateway.Extensions).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(gatewayDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in settings ?? DefaultSettings())
        {
            start.Environment[key] = value;
        }

        return new Process { StartInfo = start, EnableRaisingEvents = true };
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
