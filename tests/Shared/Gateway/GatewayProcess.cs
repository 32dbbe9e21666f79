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
        // The shared ceiling, not a minute: a long answer on a loaded host is slow, not hung.
        Http = new HttpClient { Timeout = Eventually.Ceiling };
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
        // One compute thread: two collections run at once on two cores (TestParallelism.cs), and two threads of one
        // llama-server spin at ggml's barrier whenever the other is preempted, decoding many times slower (seen: 100x
        // beside a CPU hog). DefaultProfileTests removes this with the profile, to run the real defaults.
        ["Cpu__Threads"] = "1",
        ["Cpu__ThreadsBatch"] = "1",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["Logging__LogLevel__Default"] = "Information",
    };

    /// <summary>The default settings with <paramref name="overrides"/> laid over them.</summary>
    public static Dictionary<string, string?> Settings(IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var settings = DefaultSettings();
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>
    /// The default settings without the tests' Cpu choices (the Fast profile, one thread), then <paramref name="cpu"/>: for
    /// tests of CPU planning, and of the gateway's own defaults (with no <paramref name="cpu"/> at all).
    /// </summary>
    public static Dictionary<string, string?> OwnCpuSettings(IEnumerable<KeyValuePair<string, string?>> cpu)
    {
        var settings = DefaultSettings();
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Cpu__", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        foreach (var (key, value) in cpu)
        {
            settings[key] = value;
        }

        return settings;
    }

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

        try
        {
            // Listening comes before llama-server loads, but a loaded host may still take long to start .NET.
            await Eventually.UntilAsync(() => gateway._listening.Task.IsCompleted || process.HasExited, done => done, "the gateway to say it listens");
            if (!gateway._listening.Task.IsCompleted)
            {
                throw new InvalidOperationException($"The gateway exited with {process.ExitCode} before it listened:\n{gateway.Output}");
            }

            gateway.BaseUri = await gateway._listening.Task;
            gateway.Http.BaseAddress = gateway.BaseUri;
            if (waitReady)
            {
                await gateway.WaitUntilReadyAsync();
            }
        }
        catch
        {
            await gateway.DisposeAsync(); // the failure says what was awaited; WaitUntilReadyAsync's adds the gateway's output
            throw;
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
        using var timeout = new CancellationTokenSource(Eventually.Ceiling);
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

    /// <summary>Waits until /ready is 200; fails at once if the gateway exits, and past <paramref name="ceiling"/> (the shared one by default).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? ceiling = null)
    {
        try
        {
            await Eventually.UntilAsync(ReadyStatusAsync, status => status == HttpStatusCode.OK, "/ready to answer 200", ceiling);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Output}", e);
        }
    }

    private async Task<HttpStatusCode> ReadyStatusAsync()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"The gateway exited with {_process.ExitCode}:\n{Output}");
        }

        using var response = await Http.GetAsync("/ready");
        return response.StatusCode;
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
