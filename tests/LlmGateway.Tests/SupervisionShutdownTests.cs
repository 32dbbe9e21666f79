using System.Globalization;

namespace LlmGateway.Tests;

/// <summary>However the gateway ends, llama-server and its launcher end with it.</summary>
public sealed class SupervisionShutdownTests
{
    [Fact]
    public async Task GatewayKilledWithSigkill_LeavesNoLlamaServerNorLauncher()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var (child, launcher) = await ChildAndLauncherAsync(gateway);
        var socketDirectory = SocketDirectory(child); // a killed gateway cannot remove it, so the test does
        try
        {
            gateway.KillHard();

            // The kernel closes the launcher's stdin when the gateway dies; the launcher then stops llama-server (SIGKILL
            // after LlamaServer:StopTimeoutSeconds at most) and exits. Waiting for that, not timing it.
            await Eventually.UntilAsync(() => Posix.IsAlive(child) || Posix.IsAlive(launcher), alive => !alive,
                $"llama-server (pid {child}) and llmgw-launch (pid {launcher}) to end with the killed gateway");
        }
        finally
        {
            if (Directory.Exists(socketDirectory))
            {
                Directory.Delete(socketDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task GatewaySigterm_StopsLlamaServerGracefully_AndExitsWithZero()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var (child, launcher) = await ChildAndLauncherAsync(gateway);

        Assert.Equal(0, Posix.Kill(gateway.Pid, Posix.SigTerm));

        Assert.True(await gateway.WaitForExitAsync(Eventually.Ceiling), $"The gateway still ran {Eventually.Ceiling} after SIGTERM:\n{gateway.Output}");
        Assert.Equal(0, gateway.ExitCode);
        // Graceful, not killed once LlamaServer:StopTimeoutSeconds passed: llama-server, asked to stop (SIGINT), says
        // this as it cleans up; a SIGKILL leaves it no time to say anything.
        Assert.Contains("cleaning up before exit", gateway.Output, StringComparison.Ordinal);
        Assert.False(Posix.IsAlive(child), $"llama-server (pid {child}) outlived the gateway's graceful stop.");
        Assert.False(Posix.IsAlive(launcher), $"llmgw-launch (pid {launcher}) outlived the gateway's graceful stop.");
    }

    /// <summary>llama-server's PID from /ready, and its parent's, which must be the launcher.</summary>
    private static async Task<(int Child, int Launcher)> ChildAndLauncherAsync(GatewayProcess gateway)
    {
        var child = await gateway.ChildPidAsync();
        Assert.Equal("llama-server", Command(child));
        var stat = await File.ReadAllTextAsync($"/proc/{child}/stat");
        // After "pid (comm) " come the state and then the parent's PID; comm may hold spaces, so split after ')'.
        var launcher = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.Equal("llmgw-launch", Command(launcher));
        return (child, launcher);
    }

    /// <summary>The private directory holding llama-server's socket and key: the one after --host.</summary>
    private static string SocketDirectory(int child)
    {
        var args = File.ReadAllText($"/proc/{child}/cmdline").Split('\0');
        var directory = Path.GetDirectoryName(args[Array.IndexOf(args, "--host") + 1])!;
        Assert.StartsWith("llmgw-", Path.GetFileName(directory), StringComparison.Ordinal);
        return directory;
    }

    private static string Command(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();
}
