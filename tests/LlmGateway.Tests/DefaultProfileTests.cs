using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace LlmGateway.Tests;

/// <summary>The default profile, Invisible, end to end: it yields while nothing waits, and never starves.</summary>
public sealed class DefaultProfileTests
{
    [Fact]
    public async Task Invisible_YieldsWhileNothingWaits_TakesNormalPriorityForALateRequest_AndYieldsAgainAfter()
    {
        await using var gateway = await GatewayProcess.StartAsync(DefaultProfile());
        var pid = await gateway.ChildPidAsync();
        var group = Path.Combine("/sys/fs/cgroup/cpu", ProcStat.Cgroup(pid, "cpu").TrimStart('/'));
        Assert.Contains($"llmgw-{gateway.Pid}", group, StringComparison.Ordinal);

        await Eventually.UntilAsync(() => Priority(gateway), p => p == "idle", "llama-server to yield once loaded");
        Assert.Equal("1", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());

        using var client = new CancellationTokenSource();
        var generation = Generate(gateway, client.Token);
        await Eventually.UntilAsync(() => Priority(gateway), p => p == "normal", "a request running past Cpu:LatencyBudgetMilliseconds to lift the priority");
        Assert.Equal("0", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());
        Assert.Contains("llmgw_child_priority_idle{", await gateway.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        await client.CancelAsync(); // the client leaves: nothing waits any more
        try
        {
            await generation;
        }
        catch (OperationCanceledException)
        {
            // left while generating, as intended; a fast machine may have finished first
        }

        await Eventually.UntilAsync(() => Priority(gateway), p => p == "idle", "llama-server to yield again once no request waits");
        Assert.Equal("1", File.ReadAllText(Path.Combine(group, "cpu.idle")).Trim());
    }

    [Fact]
    public async Task Invisible_OnAMachineBusyWithTwoCpuBoundProcesses_LoadsAndServes()
    {
        // Strict idle priority never finished loading here (still starting after 249 s); the default profile must.
        using var hogs = new CpuHogs(count: 2);
        await using var gateway = await GatewayProcess.StartAsync(DefaultProfile(), waitReady: false);
        await Eventually.UntilAsync(gateway.ReadyStateAsync, s => s.GetProperty("status").GetString() == "ready",
            "the default profile to load on a busy machine");

        using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Is this login suspicious?" } },
            max_tokens = 8,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(hogs.AllRunning, "the CPU-bound processes were still running");
    }

    /// <summary>The defaults: only what the test host needs (model, binaries, port), no Cpu settings.</summary>
    private static Dictionary<string, string?> DefaultProfile()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings.Remove("Cpu__Profile");
        return settings;
    }

    private static async Task<string?> Priority(GatewayProcess gateway) =>
        (await gateway.ReadyStateAsync()).GetProperty("priority").GetString();

    private static async Task Generate(GatewayProcess gateway, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                messages = new[] { new { role = "user", content = "Count." } },
                max_tokens = 1900, // a slot's context is 2,048 tokens: more is a 400
                ignore_eos = true,
                stream = true,
            }),
        };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await body.CopyToAsync(Stream.Null, ct);
    }

    /// <summary>CPU-bound processes at normal priority, as a build would be: one per core.</summary>
    private sealed class CpuHogs : IDisposable
    {
        private readonly List<Process> _hogs = [];

        public CpuHogs(int count)
        {
            for (var i = 0; i < count; i++)
            {
                _hogs.Add(Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!);
            }
        }

        public bool AllRunning => _hogs.All(h => !h.HasExited);

        public void Dispose()
        {
            foreach (var hog in _hogs)
            {
                hog.Kill();
                hog.WaitForExit();
                hog.Dispose();
            }
        }
    }
}
