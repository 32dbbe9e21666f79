using System.Net.Http.Json;

namespace LlmGateway.Tests;

/// <summary>The gateway killed with SIGKILL while it streams, several times: nothing it made is left behind.</summary>
/// <remarks>
/// A killed gateway cannot clean up; what it leaves (its llama-server, cgroups llmgw-PID, the socket directory
/// /tmp/llmgw-PID-*) must go by itself (the launcher kills llama-server) or be swept by the next gateway's start.
/// bench/faults.sh kill-gateway does the same 100 times and counts.
/// </remarks>
public sealed class SupervisionGatewayKillTests
{
    private const int Kills = 3;

    [Fact]
    public async Task GatewayKilledMidStream_ThreeTimes_LeavesNoChildNorCgroupNorSocketDirectory_OnceTheNextOneStarted()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__StopTimeoutSeconds"] = "1"; // the launcher's grace before SIGKILL, once the gateway is gone
        settings["LlamaServer__ContextSize"] = "4096";
        List<int> killed = [];
        for (var i = 0; i < Kills; i++)
        {
            await using var gateway = await GatewayProcess.StartAsync(settings);
            foreach (var earlier in killed)
            {
                Assert.Empty(Leftovers(earlier)); // swept by this start
            }

            var child = await gateway.ChildPidAsync();
            Assert.NotEmpty(Leftovers(gateway.Pid)); // the things the check looks for exist while it runs
            using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
            using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new
                {
                    model = await gateway.ModelIdAsync(),
                    messages = new[] { new { role = "user", content = "Tell a long story." } },
                    max_tokens = 3000,
                    ignore_eos = true, // still generating when the gateway is killed, whatever the model says
                    stream = true,
                }),
            }, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[64]) > 0, "the stream sent nothing");

            gateway.KillHard();
            killed.Add(gateway.Pid);
            await Eventually.UntilAsync(() => Posix.IsAlive(child), alive => !alive, $"llama-server (pid {child}) to end with its killed gateway");
        }

        await using (var last = await GatewayProcess.StartAsync(settings))
        {
            killed.Add(last.Pid); // stopped gracefully below: it must clean up after itself
        }

        Assert.All(killed, pid => Assert.Empty(Leftovers(pid)));
    }

    /// <summary>The cgroups and socket directories named after gateway <paramref name="pid"/> that exist now.</summary>
    internal static List<string> Leftovers(int pid)
    {
        List<string> found = [.. Directory.EnumerateDirectories(Path.GetTempPath(), $"llmgw-{pid}-*")];
        // cgroup v1 hierarchies (alone or co-mounted) and v2's, at the top or beside this process's own group.
        foreach (var line in File.Exists("/proc/self/cgroup") ? File.ReadAllLines("/proc/self/cgroup") : [])
        {
            var parts = line.Split(':', 3);
            var controllers = parts[1].Length == 0 ? [""] : parts[1].Split(',');
            foreach (var controller in controllers)
            {
                var hierarchy = Path.Combine("/sys/fs/cgroup", controller);
                foreach (var parent in new[] { hierarchy, hierarchy + parts[2] }.Distinct())
                {
                    var group = Path.Combine(parent, $"llmgw-{pid}");
                    if (Directory.Exists(group) && !found.Contains(group))
                    {
                        found.Add(group);
                    }
                }
            }
        }

        return found;
    }
}
